package org.diffusion4j.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.diffusion.NoiseSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Prints the noise schedule: a summary, or every step as CSV. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = {"Print the noise schedule beta_t and what follows from it (math.md sections 1-2).",
            "Example: diffusion4j schedule --schedule linear --T 1000 --csv > schedule.csv"})
public final class ScheduleCommand implements Callable<Integer> {
    @Mixin
    ScheduleOptions schedule;

    @Option(names = "--csv", description = "Print every step as CSV with a header (t, beta, alpha, alphaBar, "
            + "alphaBarPrev, betaTilde, posterior coefficients).")
    boolean csv;

    @Override
    public Integer call() {
        NoiseSchedule s = schedule.build();
        if (csv) {
            System.out.print(s.toCsv());
            return 0;
        }
        System.out.println("schedule " + s);
        System.out.printf(Locale.ROOT, "%6s %12s %12s %12s %12s%n", "t", "beta", "alphaBar", "betaTilde", "sqrt(1-aBar)");
        int steps = s.steps();
        for (int t : new int[] {1, 2, steps / 10, steps / 4, steps / 2, 3 * steps / 4, steps}) {
            if (t >= 1) {
                System.out.printf(Locale.ROOT, "%6d %12.6g %12.6g %12.6g %12.6g%n", t, s.beta(t), s.alphaBar(t),
                        s.betaTilde(t), Math.sqrt(1 - s.alphaBar(t)));
            }
        }
        return 0;
    }
}
