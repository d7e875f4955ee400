package org.diffusion4j.cli;

import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.diffusion.Timesteps;

/**
 * Turns a command's sampler options into the core's {@link SamplerSettings} and the sampler, with
 * the kinds' defaults of sampling.md (the core's {@link SamplerSettings#of}): DDPM on all T steps
 * unless --steps respaces it; DDIM 50 steps; DPM-Solver++(2M) 20 steps uniform in log-SNR; its SDE
 * form 20 steps trailing; Heun 10 steps on Karras et al.'s spacing. The options are checked here,
 * so that a wrong one is named by its option.
 */
final class SamplerChoice {
    /** The sampler and one phrase that names it with its settings, for the output. */
    record Built(Sampler sampler, String description) {
    }

    private SamplerChoice() {
    }

    /**
     * @param steps null for the sampler's default
     * @param spacing null for the sampler's default; refused for DDIM (its steps are fixed)
     * @param eta null for the sampler's default (DDIM 0, dpm++2m-sde 1); refused for the others
     */
    static SamplerSettings settings(SamplerSettings.Kind kind, int T, Integer steps, Timesteps.Spacing spacing, Double eta,
            DdpmSampler.Variance variance, boolean clipX0) {
        SamplerSettings d = SamplerSettings.of(kind);
        int s = steps != null ? steps : kind == SamplerSettings.Kind.DDPM ? T : d.steps();
        if (s < 1 || s > T) {
            throw new UserException("--steps must be in 1.." + T + " (T), got " + s);
        }
        if (spacing != null && kind == SamplerSettings.Kind.DDIM) {
            throw new UserException("--spacing applies to dpm++2m, heun and ddpm with --steps; DDIM takes the steps 1 + floor(i T / S)");
        }
        if (eta != null && !(eta >= 0 && Double.isFinite(eta))) {
            throw new UserException("--eta must be a number >= 0 (0 deterministic, 1 DDPM-like), got " + eta);
        }
        if (eta != null && !kind.takesEta()) {
            throw new UserException("--eta applies to ddim and dpm++2m-sde only (dpm++2m-sde with --eta 0 is dpm++2m)");
        }
        // DDPM on all T steps is Algorithm 2 itself (steps 0)
        d = d.withSteps(kind == SamplerSettings.Kind.DDPM && s == T ? 0 : s).withVariance(variance).withClip(clipX0);
        d = spacing != null ? d.withSpacing(spacing) : d;
        return eta != null ? d.withEta(eta) : d;
    }

    static Built build(SamplerSettings.Kind kind, NoiseSchedule schedule, Integer steps, Timesteps.Spacing spacing, Double eta,
            DdpmSampler.Variance variance, boolean clipX0) {
        SamplerSettings s = settings(kind, schedule.steps(), steps, spacing, eta, variance, clipX0);
        return new Built(s.build(schedule), s.toString());
    }
}
