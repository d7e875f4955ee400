package org.diffusion4j.cli;

import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.NoiseSchedule;
import picocli.CommandLine.Option;

/**
 * The schedule options shared by every command that builds one. Images default to the DDPM
 * paper's T = 1000, betas 1e-4..0.02; vectors (2-D points) to T = 100, betas 1e-3..0.2 (the same
 * curve of alphaBar over t/T, ten times fewer steps: faster to train and sample, and as good).
 */
public final class ScheduleOptions {
    @Option(names = "--schedule", defaultValue = "linear", description = "How beta_t runs over t (${COMPLETION-CANDIDATES}; "
            + "default: ${DEFAULT-VALUE}).")
    NoiseSchedule.Kind kind;

    @Option(names = {"--T", "-T"}, description = "Number of diffusion steps T (default: 1000 for images, 100 for points).")
    Integer steps;

    @Option(names = "--beta-start", description = "beta_1 of the linear schedule (default: 1e-4 for images, 1e-3 for points).")
    Double betaStart;

    @Option(names = "--beta-end", description = "beta_T of the linear schedule (default: 0.02 for images, 0.2 for points).")
    Double betaEnd;

    /** The image defaults. */
    public NoiseSchedule build() {
        return build(false);
    }

    /** With the defaults for vectors (2-D points) or images. */
    public NoiseSchedule build(boolean vectors) {
        try {
            return NoiseSchedule.of(kind, steps != null ? steps : (vectors ? 100 : 1000),
                    betaStart != null ? betaStart : (vectors ? 1e-3 : 1e-4), betaEnd != null ? betaEnd : (vectors ? 0.2 : 0.02));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
