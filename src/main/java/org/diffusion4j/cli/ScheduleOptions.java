package org.diffusion4j.cli;

import org.diffusion4j.UserException;
import org.diffusion4j.schedule.NoiseSchedule;
import picocli.CommandLine.Option;

/** The schedule options shared by every command that builds one. */
public final class ScheduleOptions {
    @Option(names = "--schedule", defaultValue = "linear", description = "linear or cosine (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = {"--T", "-T"}, defaultValue = "1000", description = "Number of diffusion steps T (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--beta-start", defaultValue = "1e-4", description = "beta_1 of the linear schedule (default: ${DEFAULT-VALUE}).")
    double betaStart;

    @Option(names = "--beta-end", defaultValue = "0.02", description = "beta_T of the linear schedule (default: ${DEFAULT-VALUE}).")
    double betaEnd;

    public NoiseSchedule build() {
        try {
            return NoiseSchedule.of(NoiseSchedule.Kind.parse(kind), steps, betaStart, betaEnd);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
