package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import org.apache.commons.math3.special.Erf;
import org.diffusion4j.InvalidArgumentException;

/**
 * How Algorithm 1 draws the step t of each training row: uniformly from 1..T (Ho et al. 2020,
 * the default), or so that the noise level sigma_t = sqrt((1 - alphaBar_t) / alphaBar_t) is
 * log-normal, ln sigma ~ N(pMean, pStd^2) (Karras et al. 2022, "EDM", who use -1.2 and 1.2). x_t
 * of the variance-preserving process is (x_0 + sigma_t eps) / sqrt(1 + sigma_t^2), so sigma_t is
 * EDM's noise level; the log-normal spends the training on the middle levels, where the loss
 * can still fall, instead of the uniform t's many near-pure-noise steps (about half of the linear
 * schedule's steps have sigma > 3). On a discrete schedule, step t gets the log-normal's mass
 * between the geometric midpoints of its sigma and its neighbours' (the two ends take the tails),
 * so that the probabilities sum to 1 for any schedule (docs/fast-training.md).
 *
 * @param pMean mean of ln sigma; ignored when uniform
 * @param pStd standard deviation of ln sigma; 0 means uniform
 */
public record NoiseLevels(double pMean, double pStd) {
    /** t ~ U{1..T}. */
    public static final NoiseLevels UNIFORM = new NoiseLevels(0, 0);

    /** Karras et al.'s log-normal: ln sigma ~ N(-1.2, 1.2^2). */
    public static final NoiseLevels EDM = new NoiseLevels(-1.2, 1.2);

    public NoiseLevels {
        if (!(pStd >= 0 && pStd <= 10) || !(Math.abs(pMean) <= 20)) {
            throw new InvalidArgumentException("noise levels", "N(" + pMean + ", " + pStd + "^2)",
                    "need a standard deviation in (0, 10] and a mean in [-20, 20] for ln sigma (EDM: -1.2, 1.2), or 0 for uniform t");
        }
        if (pStd == 0) {
            pMean = 0;
        }
    }

    /** The log-normal with ln sigma ~ N(pMean, pStd^2). */
    public static NoiseLevels logNormal(double pMean, double pStd) {
        if (!(pStd > 0)) {
            throw new InvalidArgumentException("pStd", pStd, "must be > 0 for a log-normal");
        }
        return new NoiseLevels(pMean, pStd);
    }

    public boolean isUniform() {
        return pStd == 0;
    }

    /** sigma_t = sqrt((1 - alphaBar_t) / alphaBar_t), the noise-to-signal ratio of step t. */
    public static double sigma(NoiseSchedule schedule, int t) {
        double ab = schedule.alphaBar(t);
        return Math.sqrt((1 - ab) / ab);
    }

    /** P(t) for t = 1..T at index t (index 0 is 0): uniform, or the log-normal's mass of step t's sigma interval. */
    public double[] probabilities(NoiseSchedule schedule) {
        int n = schedule.steps();
        double[] p = new double[n + 1];
        if (isUniform()) {
            java.util.Arrays.fill(p, 1, n + 1, 1.0 / n);
            return p;
        }
        // sigma_t increases with t; the cell of t in ln sigma runs between the midpoints to its neighbours.
        double below = 0; // Phi at the lower edge of the current cell (-infinity for t = 1)
        for (int t = 1; t <= n; t++) {
            double above = t == n ? 1 : phi((Math.log(sigma(schedule, t)) + Math.log(sigma(schedule, t + 1))) / 2);
            p[t] = above - below;
            below = above;
        }
        return p;
    }

    private double phi(double lnSigma) {
        return 0.5 * (1 + Erf.erf((lnSigma - pMean) / (pStd * Math.sqrt(2))));
    }

    /**
     * b steps drawn from {@link #probabilities}, as INT32 [b]. The uniform case draws exactly as
     * Algorithm 1 always has (one randomInteger call), so that runs made before this choice
     * existed replay to the bit; the log-normal inverts the cumulative distribution of a uniform draw.
     */
    public NDArray sample(NoiseSchedule schedule, NDManager m, long b) {
        if (isUniform()) {
            return m.randomInteger(1, schedule.steps() + 1, new Shape(b), DataType.INT32);
        }
        double[] p = probabilities(schedule);
        float[] cdf = new float[schedule.steps() - 1]; // P(t <= k) for k = 1..T-1
        double sum = 0;
        for (int k = 1; k < schedule.steps(); k++) {
            sum += p[k];
            cdf[k - 1] = (float) sum;
        }
        try (NDManager sub = m.newSubManager()) {
            NDArray u = sub.randomUniform(0, 1, new Shape(b, 1));
            // t = 1 + #{k < T : u > P(t <= k)}
            NDArray t = u.gt(sub.create(cdf).reshape(1, -1)).toType(DataType.INT32, false).sum(new int[] {1}).toType(DataType.INT32, false).add(1);
            t.attach(m);
            return t;
        }
    }

    @Override
    public String toString() {
        return isUniform() ? "uniform t" : String.format(Locale.ROOT, "log-normal sigma (ln sigma ~ N(%s, %s^2))",
                trim(pMean), trim(pStd));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
