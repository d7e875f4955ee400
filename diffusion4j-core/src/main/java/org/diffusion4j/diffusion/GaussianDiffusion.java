package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.NoiseSchedule;

/**
 * The forward process, its posterior, and the training loss of Algorithm 1 (math.md sections
 * 1-3), for data of any shape [B, ...]. Per-row steps t are int32 arrays of 1-based values;
 * the per-step coefficients are gathered from float tables built once from the double-precision
 * {@link NoiseSchedule}.
 */
public final class GaussianDiffusion implements AutoCloseable {
    /** The loss of Algorithm 1: squared error (default) or absolute error (the notes allow both). */
    public enum LossType { L2, L1 }

    private final NoiseSchedule schedule;
    private final NDManager tables;
    private final NDArray sqrtAlphaBar;
    private final NDArray sqrtOneMinusAlphaBar;
    private final NDArray sqrtAlpha;
    private final NDArray sqrtBeta;
    private final NDArray coefX0;
    private final NDArray coefXt;
    private final NDArray epsCoef;
    private final NDArray betaTilde;

    public GaussianDiffusion(NoiseSchedule schedule, NDManager parent) {
        this.schedule = schedule;
        this.tables = parent.newSubManager();
        int n = schedule.steps() + 1; // index 0 unused (alphaBar_0 = 1), so t indexes directly
        double[] sab = new double[n], s1mab = new double[n], sa = new double[n], sb = new double[n];
        double[] cx0 = new double[n], cxt = new double[n], ec = new double[n], bt = new double[n];
        sab[0] = 1;
        for (int t = 1; t < n; t++) {
            sab[t] = Math.sqrt(schedule.alphaBar(t));
            s1mab[t] = Math.sqrt(1 - schedule.alphaBar(t));
            sa[t] = Math.sqrt(schedule.alpha(t));
            sb[t] = Math.sqrt(schedule.beta(t));
            cx0[t] = schedule.posteriorMeanCoefX0(t);
            cxt[t] = schedule.posteriorMeanCoefXt(t);
            ec[t] = schedule.epsCoef(t);
            bt[t] = schedule.betaTilde(t);
        }
        sqrtAlphaBar = table(sab);
        sqrtOneMinusAlphaBar = table(s1mab);
        sqrtAlpha = table(sa);
        sqrtBeta = table(sb);
        coefX0 = table(cx0);
        coefXt = table(cxt);
        epsCoef = table(ec);
        betaTilde = table(bt);
    }

    private NDArray table(double[] v) {
        return tables.create(toFloats(v));
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    /** T. */
    public int steps() {
        return schedule.steps();
    }

    /** coef[t] reshaped to [B, 1, ..., 1] so that it broadcasts over a row of x. */
    private static NDArray extract(NDArray table, NDArray t, NDArray like) {
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = like.getShape().get(0);
        NDArray c = table.get(t.toType(DataType.INT64, false));
        c.attach(like.getManager());
        return c.toType(like.getDataType(), false).reshape(new Shape(dims));
    }

    /** sqrt(alphaBar_t) per row, shaped to broadcast over x (for the conversions of {@link Parameterization}). */
    public NDArray sqrtAlphaBar(NDArray t, NDArray like) {
        return extract(sqrtAlphaBar, t, like);
    }

    /** sqrt(1 - alphaBar_t) per row, shaped to broadcast over x. */
    public NDArray sqrtOneMinusAlphaBar(NDArray t, NDArray like) {
        return extract(sqrtOneMinusAlphaBar, t, like);
    }

    /** q(x_t | x_0) in closed form: x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps. */
    public NDArray qSample(NDArray x0, NDArray t, NDArray eps) {
        return extract(sqrtAlphaBar, t, x0).mul(x0)
                .add(extract(sqrtOneMinusAlphaBar, t, x0).mul(eps));
    }

    /** One forward step q(x_t | x_{t-1}): x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) z. */
    public NDArray qStep(NDArray xPrev, NDArray t, NDArray z) {
        return extract(sqrtAlpha, t, xPrev).mul(xPrev).add(extract(sqrtBeta, t, xPrev).mul(z));
    }

    /** muTilde_t, x_0 form: sqrt(alphaBar_{t-1}) beta_t/(1-alphaBar_t) x_0 + sqrt(alpha_t)(1-alphaBar_{t-1})/(1-alphaBar_t) x_t. */
    public NDArray posteriorMean(NDArray x0, NDArray xt, NDArray t) {
        return extract(coefX0, t, xt).mul(x0).add(extract(coefXt, t, xt).mul(xt));
    }

    /** muTilde_t, eps form: 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alphaBar_t) eps). */
    public NDArray posteriorMeanFromEps(NDArray xt, NDArray t, NDArray eps) {
        return xt.sub(extract(epsCoef, t, xt).mul(eps)).div(extract(sqrtAlpha, t, xt));
    }

    /** betaTilde_t per row, shaped to broadcast over x. */
    public NDArray posteriorVariance(NDArray t, NDArray like) {
        return extract(betaTilde, t, like);
    }

    /** x0Hat = (x_t - sqrt(1 - alphaBar_t) eps) / sqrt(alphaBar_t). */
    public NDArray x0Hat(NDArray xt, NDArray t, NDArray eps) {
        return xt.sub(extract(sqrtOneMinusAlphaBar, t, xt).mul(eps))
                .div(extract(sqrtAlphaBar, t, xt));
    }

    /**
     * Algorithm 1, one batch: t ~ U{1..T}, eps ~ N(0, I), loss = mean over all elements of
     * |eps - eps_theta(sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps, t)|^p. Random numbers come
     * from PyTorch's global generator (seeded by the caller).
     */
    public NDArray trainingLoss(Denoiser model, NDArray x0, LossType type) {
        return trainingLoss(model, x0, type, Objective.EPS);
    }

    /**
     * Algorithm 1 for a network of any prediction type, min-SNR-gamma weighted (math.md,
     * "Prediction types"): t ~ U{1..T} (or another {@link NoiseLevels}), eps ~ N(0, I), x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps,
     * loss = mean over rows of w(t) * mean over the row of |target - network(x_t, t)|^p, with the
     * target of the prediction type and w(t) = {@link Objective#weight}. eps-prediction without
     * weighting is the paper's loss, computed as before to the bit.
     *
     * @param network the network, whose output is a prediction of {@code objective.prediction()}
     */
    public NDArray trainingLoss(Denoiser network, NDArray x0, LossType type, Objective objective) {
        NDManager m = x0.getManager();
        long b = x0.getShape().get(0);
        NDArray t = objective.noiseLevels().sample(schedule, m, b);
        NDArray eps = m.randomNormal(x0.getShape(), x0.getDataType());
        NDArray xt = qSample(x0, t, eps);
        NDArray target = objective.prediction().target(x0, eps, sqrtAlphaBar(t, x0), sqrtOneMinusAlphaBar(t, x0));
        NDArray diff = network.predictEps(xt, t, true).sub(target);
        NDArray err = type == LossType.L1 ? diff.abs() : diff.square();
        if (objective.unweighted()) {
            return err.mean();
        }
        double[] w = new double[schedule.steps() + 1];
        for (int s = 1; s <= schedule.steps(); s++) {
            w[s] = objective.weight(schedule, s);
        }
        NDArray weights = m.create(toFloats(w)).get(t.toType(DataType.INT64, false)).toType(x0.getDataType(), false);
        return err.reshape(b, -1).mean(new int[] {1}).mul(weights).mean();
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Override
    public void close() {
        tables.close();
    }
}
