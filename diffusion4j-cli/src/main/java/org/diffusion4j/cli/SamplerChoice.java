package org.diffusion4j.cli;

import java.util.Locale;
import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.DpmSolverSampler;
import org.diffusion4j.diffusion.HeunSampler;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.Timesteps;

/**
 * Builds the sampler the options of a command ask for, with the defaults of sampling.md: DDPM on
 * all T steps unless --steps respaces it; DDIM 50 steps; DPM-Solver++(2M) 20 steps uniform in
 * log-SNR (below 15 steps the step into t_1 is first order too: our rule, not diffusers'
 * lower_order_final, which at order 2 changes nothing; sampling.md says why); its SDE form 20 steps
 * trailing (uniform in t, ending at T: the best of the spacings measured on the bundled model);
 * Heun 10 steps (19 calls) on Karras et al.'s spacing.
 */
final class SamplerChoice {
    /** The sampler and one phrase that names it with its settings, for the output. */
    record Built(Sampler sampler, String description) {
    }

    private SamplerChoice() {
    }

    static int defaultSteps(SamplerKind kind, int T) {
        switch (kind) {
            case DDPM:
                return T;
            case DDIM:
                return 50;
            case DPMPP_2M:
            case DPMPP_2M_SDE:
                return 20;
            case HEUN:
                return 10;
            default:
                throw new IllegalStateException("sampler " + kind);
        }
    }

    static Timesteps.Spacing defaultSpacing(SamplerKind kind) {
        switch (kind) {
            case DPMPP_2M:
                return Timesteps.Spacing.LOGSNR;
            case DPMPP_2M_SDE:
                return Timesteps.Spacing.TRAILING;
            case HEUN:
                return Timesteps.Spacing.KARRAS;
            default:
                return Timesteps.Spacing.LINSPACE;
        }
    }

    /**
     * @param steps null for the sampler's default
     * @param spacing null for the sampler's default; refused for DDIM (its steps are fixed)
     * @param eta null for the sampler's default (DDIM 0, dpm++2m-sde 1); refused for the others
     */
    static Built build(SamplerKind kind, NoiseSchedule schedule, Integer steps, Timesteps.Spacing spacing, Double eta,
            DdpmSampler.Variance variance, boolean clipX0) {
        int T = schedule.steps();
        int s = steps != null ? steps : defaultSteps(kind, T);
        if (s < 1 || s > T) {
            throw new UserException("--steps must be in 1.." + T + " (T), got " + s);
        }
        if (spacing != null && kind == SamplerKind.DDIM) {
            throw new UserException("--spacing applies to dpm++2m, heun and ddpm with --steps; DDIM takes the steps 1 + floor(i T / S)");
        }
        if (eta != null && !(eta >= 0 && Double.isFinite(eta))) {
            throw new UserException("--eta must be a number >= 0 (0 deterministic, 1 DDPM-like), got " + eta);
        }
        if (eta != null && kind != SamplerKind.DDIM && kind != SamplerKind.DPMPP_2M_SDE) {
            throw new UserException("--eta applies to ddim and dpm++2m-sde only (dpm++2m-sde with --eta 0 is dpm++2m)");
        }
        Timesteps.Spacing sp = spacing != null ? spacing : defaultSpacing(kind);
        switch (kind) {
            case DDPM:
                if (s == T) {
                    return new Built(new DdpmSampler(schedule, variance, clipX0), "DDPM, sigma^2 = " + variance);
                }
                return new Built(DdpmSampler.respaced(schedule, Timesteps.of(schedule, s, sp), variance, clipX0),
                        String.format(Locale.ROOT, "DDPM respaced to %d steps (%s), sigma^2 = %s", s, sp, variance));
            case DDIM: {
                double e = eta != null ? eta : 0.0;
                return new Built(new DdimSampler(schedule, s, e, clipX0), "DDIM, eta " + e);
            }
            case DPMPP_2M:
            case DPMPP_2M_SDE: {
                // few steps make the step into t_1 long in lambda, where extrapolating D overshoots (sampling.md)
                boolean lowerOrderFinal = s < 15;
                double e = kind == SamplerKind.DPMPP_2M ? 0.0 : eta != null ? eta : 1.0;
                DpmSolverSampler dpm = new DpmSolverSampler(schedule, s, sp, clipX0, lowerOrderFinal, e);
                return new Built(dpm, String.format(Locale.ROOT, "%sDPM-Solver++(2M), %d steps (%s)%s%s", e > 0 ? "SDE-" : "", s, sp,
                        e > 0 && e != 1 ? ", eta " + e : "", lowerOrderFinal ? ", first-order step into t_1" : ""));
            }
            case HEUN:
                return new Built(new HeunSampler(schedule, s, sp, clipX0),
                        String.format(Locale.ROOT, "Heun, %d steps (%s)", s, sp));
            default:
                throw new IllegalStateException("sampler " + kind);
        }
    }
}
