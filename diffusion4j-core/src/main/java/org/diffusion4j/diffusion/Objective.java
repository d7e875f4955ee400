package org.diffusion4j.diffusion;

import org.diffusion4j.InvalidArgumentException;

/**
 * What Algorithm 1 trains the network for: its prediction type, the min-SNR-gamma weighting
 * of the loss over t (Hang et al. 2023; gamma = 0: none, every t weighs 1) and how t is drawn.
 *
 * @param prediction what the network outputs
 * @param minSnrGamma gamma of the weight min(SNR(t), gamma) on the x_0-equivalent loss; 0 for none
 * @param noiseLevels the distribution of t (null: uniform, as in the paper)
 */
public record Objective(Prediction prediction, double minSnrGamma, NoiseLevels noiseLevels) {
    /** Ho et al. (2020): predict eps, unweighted, uniform t. */
    public static final Objective EPS = new Objective(Prediction.EPS, 0);

    /** Uniform t. */
    public Objective(Prediction prediction, double minSnrGamma) {
        this(prediction, minSnrGamma, NoiseLevels.UNIFORM);
    }

    /** The same with t drawn from {@code levels}. */
    public Objective withNoiseLevels(NoiseLevels levels) {
        return new Objective(prediction, minSnrGamma, levels);
    }

    public Objective {
        noiseLevels = noiseLevels == null ? NoiseLevels.UNIFORM : noiseLevels;
        if (prediction == null) {
            throw new InvalidArgumentException("prediction", null, "is missing: use eps, x0 or v");
        }
        if (!(minSnrGamma >= 0 && Double.isFinite(minSnrGamma))) {
            throw new InvalidArgumentException("minSnrGamma", minSnrGamma, "must be a finite number >= 0 (0: no weighting; "
                    + "Hang et al. use 5)");
        }
    }

    /** True if every t weighs 1. */
    public boolean unweighted() {
        return minSnrGamma == 0;
    }

    /** The loss weight of step t: {@link Prediction#minSnrWeight} at SNR(t) = alphaBar_t / (1 - alphaBar_t). */
    public double weight(NoiseSchedule schedule, int t) {
        double ab = schedule.alphaBar(t);
        return prediction.minSnrWeight(ab / (1 - ab), minSnrGamma);
    }

    @Override
    public String toString() {
        return prediction + "-prediction" + (unweighted() ? "" : ", min-SNR gamma " + minSnrGamma)
                + (noiseLevels.isUniform() ? "" : ", " + noiseLevels);
    }
}
