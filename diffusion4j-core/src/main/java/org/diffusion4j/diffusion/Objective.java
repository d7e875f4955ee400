package org.diffusion4j.diffusion;

import org.diffusion4j.InvalidArgumentException;

/**
 * What Algorithm 1 trains the network for: its prediction type and the min-SNR-gamma weighting
 * of the loss over t (Hang et al. 2023; gamma = 0: none, every t weighs 1).
 *
 * @param prediction what the network outputs
 * @param minSnrGamma gamma of the weight min(SNR(t), gamma) on the x_0-equivalent loss; 0 for none
 */
public record Objective(Prediction prediction, double minSnrGamma) {
    /** Ho et al. (2020): predict eps, unweighted. */
    public static final Objective EPS = new Objective(Prediction.EPS, 0);

    public Objective {
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
        return prediction + "-prediction" + (unweighted() ? "" : ", min-SNR gamma " + minSnrGamma);
    }
}
