package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSchedule;

/**
 * The variational bound of math.md section 4, term by term, for a batch of data x_0 in [-1, 1]
 * (pixels on the 256-level grid):
 * -log p(x_0) &lt;= L_T + sum_{t=2..T} L_{t-1} + L_0, with
 * L_T = KL(q(x_T|x_0) || N(0, I)), L_{t-1} = KL(q(x_{t-1}|x_t, x_0) || p(x_{t-1}|x_t)) at one
 * x_t ~ q(x_t|x_0) per row, and L_0 = -log p(x_0|x_1) under a Gaussian discretised over 256 bins
 * of width 2/255 (edge bins open). All in nats per row, computed in double precision.
 *
 * <p>The model's variance sigma_t^2 is betaTilde_t ("fixed small") or beta_t ("fixed large"),
 * the same choice as the sampler's ({@link DdpmSampler.Variance}); as in the reference code, the
 * decoder at t = 1 uses betaTilde_2 for both, since betaTilde_1 = 0.
 */
public final class VariationalBound {
    private final NoiseSchedule s;
    private final DdpmSampler.Variance variance;

    public VariationalBound(NoiseSchedule schedule, DdpmSampler.Variance variance) {
        this.s = schedule;
        this.variance = variance;
    }

    /** sigma_t^2 of the reverse process (t = 1 uses betaTilde_2). */
    public double sigma2(int t) {
        if (t == 1) {
            return s.steps() > 1 ? s.betaTilde(2) : s.beta(1);
        }
        return variance == DdpmSampler.Variance.BETA ? s.beta(t) : s.betaTilde(t);
    }

    /** KL(N(m1, v1) || N(m2, v2)) elementwise: log(s2/s1) + (v1 + (m1 - m2)^2) / (2 v2) - 1/2. */
    public static NDArray gaussianKl(NDArray m1, double v1, NDArray m2, double v2) {
        return m1.sub(m2).square().add(v1).div(2 * v2).add(0.5 * Math.log(v2 / v1) - 0.5);
    }

    /** Sum over all but the first axis, as float64 [B]. */
    private static NDArray rowSum(NDArray x) {
        int[] axes = new int[x.getShape().dimension() - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        return x.toType(DataType.FLOAT64, false).sum(axes);
    }

    /** L_T per row: KL(N(sqrt(alphaBar_T) x_0, 1 - alphaBar_T) || N(0, 1)) summed over dimensions. */
    public NDArray priorTerm(NDArray x0) {
        int T = s.steps();
        NDArray x = x0.toType(DataType.FLOAT64, false);
        return rowSum(gaussianKl(x.mul(Math.sqrt(s.alphaBar(T))), 1 - s.alphaBar(T), x.zerosLike(), 1.0));
    }

    /**
     * L_{t-1} per row for t >= 2 at the given x_t: the posterior N(muTilde(x_0, x_t), betaTilde_t)
     * against the model's N(mu_theta(x_t, t), sigma_t^2), summed over dimensions.
     */
    public NDArray klTerm(Denoiser model, NDArray x0, NDArray xt, int t) {
        NDArray x0d = x0.toType(DataType.FLOAT64, false);
        NDArray xtd = xt.toType(DataType.FLOAT64, false);
        NDArray muTilde = x0d.mul(s.posteriorMeanCoefX0(t)).add(xtd.mul(s.posteriorMeanCoefXt(t)));
        NDArray muTheta = modelMean(model, xt, t);
        return rowSum(gaussianKl(muTilde, s.betaTilde(t), muTheta, sigma2(t)));
    }

    /** mu_theta(x_t, t) = 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alphaBar_t) eps_theta), float64. */
    public NDArray modelMean(Denoiser model, NDArray xt, int t) {
        NDArray tt = xt.getManager().full(new Shape(xt.getShape().get(0)), t, DataType.INT32);
        NDArray eps = model.predictEps(xt, tt, false).toType(DataType.FLOAT64, false);
        return xt.toType(DataType.FLOAT64, false).sub(eps.mul(s.epsCoef(t))).div(Math.sqrt(s.alpha(t)));
    }

    /**
     * L_0 per row: -log of the probability the discretised Gaussian N(mu_theta(x_1, 1), sigma_1^2)
     * gives to the bin of each pixel of x_0 (bins [x - 1/255, x + 1/255], the edges open).
     */
    public NDArray decoderTerm(Denoiser model, NDArray x0, NDArray x1) {
        NDArray mu = modelMean(model, x1, 1);
        double sd = Math.sqrt(sigma2(1));
        NDArray x = x0.toType(DataType.FLOAT64, false);
        NDArray upper = normalCdf(x.add(1.0 / 255).sub(mu).div(sd));
        NDArray lower = normalCdf(x.sub(1.0 / 255).sub(mu).div(sd));
        NDArray lowEdge = x.lt(-0.999);
        NDArray highEdge = x.gt(0.999);
        // Edge bins extend to -inf / +inf: P = Phi(upper) at -1, 1 - Phi(lower) at +1.
        NDArray p = upper.sub(lower);
        p = ai.djl.ndarray.NDArrays.where(lowEdge, upper, p);
        p = ai.djl.ndarray.NDArrays.where(highEdge, lower.neg().add(1), p);
        return rowSum(p.maximum(1e-12).log().neg());
    }

    /** Phi(z) = (1 + erf(z / sqrt 2)) / 2. */
    static NDArray normalCdf(NDArray z) {
        return z.div(Math.sqrt(2)).erf().add(1).div(2);
    }

    /** The terms of the bound for one batch, in nats per row (arrays [B], float64). */
    public record Terms(NDArray prior, NDArray kl, NDArray decoder) {
        public NDArray total() {
            return prior.add(kl).add(decoder);
        }
    }

    /**
     * Every term of the bound for a batch. With {@code tSamples} &lt;= 0 all T - 1 KL terms are
     * summed; otherwise tSamples steps are drawn uniformly from 2..T per batch and their sum is
     * scaled by (T - 1) / tSamples, an unbiased estimate of the full sum. {@code perStep}, if not
     * null, accumulates the batch sum of each L_{t-1} at index t (for a breakdown).
     */
    public Terms evaluate(Denoiser model, NDArray x0, int tSamples, Random rng, double[] perStep) {
        NDManager m = x0.getManager();
        int T = s.steps();
        NDArray prior = priorTerm(x0);
        NDArray kl = m.zeros(new Shape(x0.getShape().get(0)), DataType.FLOAT64);
        int[] steps;
        double scale = 1;
        if (tSamples <= 0 || tSamples >= T - 1) {
            steps = new int[T - 1];
            for (int i = 0; i < steps.length; i++) {
                steps[i] = i + 2;
            }
        } else {
            steps = new int[tSamples];
            for (int i = 0; i < tSamples; i++) {
                steps[i] = 2 + rng.nextInt(T - 1);
            }
            scale = (double) (T - 1) / tSamples;
        }
        for (int t : steps) {
            try (NDManager sub = m.newSubManager()) {
                sub.tempAttachAll(x0);
                NDArray xt = qSample(x0, t, sub);
                NDArray term = klTerm(model, x0, xt, t);
                if (perStep != null) {
                    perStep[t] += term.sum().getDouble() * scale;
                }
                NDArray next = kl.add(term.mul(scale));
                next.attach(m);
                kl.close();
                kl = next;
            }
        }
        NDArray decoder;
        try (NDManager sub = m.newSubManager()) {
            sub.tempAttachAll(x0);
            decoder = decoderTerm(model, x0, qSample(x0, 1, sub));
            decoder.attach(m);
        }
        return new Terms(prior, kl, decoder);
    }

    private NDArray qSample(NDArray x0, int t, NDManager m) {
        NDArray eps = m.randomNormal(x0.getShape(), x0.getDataType());
        return x0.mul(Math.sqrt(s.alphaBar(t))).add(eps.mul(Math.sqrt(1 - s.alphaBar(t))));
    }

    /** Nats per row to bits per dimension: nats / (D ln 2). */
    public static double bitsPerDim(double nats, long dims) {
        return nats / (dims * Math.log(2));
    }
}
