package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/**
 * What the network is trained to predict from x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps
 * (math.md, "Prediction types"): the noise eps (Ho et al. 2020, the default), the clean data x_0,
 * or the velocity v = sqrt(alphaBar_t) eps - sqrt(1 - alphaBar_t) x_0 (Salimans &amp; Ho 2022).
 * Any one determines the other two given x_t; the samplers work with eps, so a network of another
 * type is read through {@link PredictionDenoiser}. Spelled {@code eps}, {@code x0} and {@code v} as text.
 */
public enum Prediction {
    EPS("eps"),
    X0("x0"),
    V("v");

    private final String label;

    Prediction(String label) {
        this.label = label;
    }

    /** "eps", "x0" or "v" (any case); null for anything else. */
    public static Prediction parse(String s) {
        for (Prediction p : values()) {
            if (p.label.equals(s.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return label;
    }

    /**
     * The training target: what a perfect network of this type outputs for x_t made of x0 and eps.
     *
     * @param a sqrt(alphaBar_t), shaped to broadcast over a row
     * @param s sqrt(1 - alphaBar_t), likewise
     */
    public NDArray target(NDArray x0, NDArray eps, NDArray a, NDArray s) {
        switch (this) {
            case EPS:
                return eps;
            case X0:
                return x0;
            default:
                return Parameterization.v(x0, eps, a, s);
        }
    }

    /** The eps that a network output of this type stands for, given x_t (coefficients as in {@link #target}). */
    public NDArray toEps(NDArray out, NDArray xt, NDArray a, NDArray s) {
        switch (this) {
            case EPS:
                return out;
            case X0:
                return Parameterization.epsFromX0(xt, out, a, s);
            default:
                return Parameterization.epsFromV(xt, out, a, s);
        }
    }

    /**
     * The min-SNR-gamma loss weight (Hang et al. 2023) of this prediction type at signal-to-noise
     * ratio snr = alphaBar / (1 - alphaBar): the x_0-equivalent weight min(snr, gamma) divided by
     * the factor this type's squared error carries over x_0's (snr for eps, 1 for x0, snr + 1 for v;
     * math.md). gamma = 0 means no weighting (1).
     */
    public double minSnrWeight(double snr, double gamma) {
        if (gamma == 0) {
            return 1;
        }
        double clipped = Math.min(snr, gamma);
        switch (this) {
            case EPS:
                return clipped / snr;
            case X0:
                return clipped;
            default:
                return clipped / (snr + 1);
        }
    }
}
