package org.diffusion4j.diffusion;

import java.util.Locale;
import org.diffusion4j.InvalidArgumentException;

/**
 * The S steps of 1..T a few-step sampler visits (sampling.md, "Time steps"). The network is
 * trained on integer steps only, so every spacing ends on integers; the sampler then goes from
 * the last of them to alphaBar = 1 (x_0).
 */
public final class Timesteps {
    /** How the S steps are laid out over 1..T. */
    public enum Spacing {
        /** Uniform in t from t = 1 to t = T, both included: t_i = 1 + round(i (T - 1) / (S - 1)), i = 0..S-1 (improved-diffusion's respacing, diffusers' "linspace"). */
        LINSPACE,
        /** Uniform in t ending at T: t_i = round(i T / S), i = 1..S (diffusers' "trailing"). */
        TRAILING,
        /** Uniform in lambda = log(alpha_t / sigma_t) from lambda_T to lambda_1 (Lu et al. 2022's "logSNR"), each rounded to the nearest step. */
        LOGSNR,
        /** Karras et al. (2022): sigma_i = (sigmaMax^(1/7) + i/(S-1) (sigmaMin^(1/7) - sigmaMax^(1/7)))^7 between sigma_T and sigma_1, each rounded to the nearest step in log sigma. */
        KARRAS;

        /** The lower-case name, as written on a command line. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final double RHO = 7.0;

    private Timesteps() {
    }

    /**
     * S distinct steps of {@code schedule}, ascending. Where rounding makes two equal (LOGSNR and
     * KARRAS put many points at small t, where one step of t is a large step of lambda), the later
     * one moves up by one, so there are always S of them.
     */
    public static int[] of(NoiseSchedule schedule, int steps, Spacing spacing) {
        int T = schedule.steps();
        if (steps < 1 || steps > T) {
            throw new InvalidArgumentException("steps", steps, "must be in 1.." + T + " (the schedule's T)");
        }
        int[] t = new int[steps];
        if (steps == 1) {
            t[0] = T;
            return t;
        }
        switch (spacing) {
            case LINSPACE:
                for (int i = 0; i < steps; i++) {
                    t[i] = 1 + (int) Math.round((double) i * (T - 1) / (steps - 1));
                }
                break;
            case TRAILING:
                for (int i = 1; i <= steps; i++) {
                    t[i - 1] = (int) Math.round((double) i * T / steps);
                }
                break;
            case LOGSNR: {
                double[] key = new double[T + 1];
                for (int s = 1; s <= T; s++) {
                    key[s] = schedule.lambda(s);
                }
                double lo = key[1];
                double hi = key[T];
                for (int i = 0; i < steps; i++) {
                    t[i] = nearest(key, lo + (hi - lo) * i / (steps - 1));
                }
                break;
            }
            case KARRAS: {
                double[] key = new double[T + 1];
                for (int s = 1; s <= T; s++) {
                    key[s] = Math.log(schedule.karrasSigma(s));
                }
                double min = Math.pow(schedule.karrasSigma(1), 1 / RHO);
                double max = Math.pow(schedule.karrasSigma(T), 1 / RHO);
                for (int i = 0; i < steps; i++) {
                    // i = 0 is the smallest sigma here (ascending t).
                    double sigma = Math.pow(min + (max - min) * i / (steps - 1), RHO);
                    t[i] = nearest(key, Math.log(sigma));
                }
                break;
            }
            default:
                throw new IllegalStateException("spacing " + spacing);
        }
        for (int i = 1; i < steps; i++) {
            t[i] = Math.max(t[i], t[i - 1] + 1);
        }
        // Pushed past T at the top only if S is close to T: then pull the tail down again.
        for (int i = steps - 1; i >= 0 && t[i] > T - (steps - 1 - i); i--) {
            t[i] = T - (steps - 1 - i);
        }
        return t;
    }

    /** The step s in 1..T whose key[s] (monotone in s) is closest to v. */
    private static int nearest(double[] key, double v) {
        int best = 1;
        for (int s = 2; s < key.length; s++) {
            if (Math.abs(key[s] - v) < Math.abs(key[best] - v)) {
                best = s;
            }
        }
        return best;
    }
}
