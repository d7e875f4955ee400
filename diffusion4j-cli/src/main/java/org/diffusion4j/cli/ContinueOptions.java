package org.diffusion4j.cli;

import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.function.BiFunction;
import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * How a train command was asked to continue a run: --resume RUN_DIR, or --init-from SOURCE with
 * --out NEW_DIR; the new step target, threads and decay start if given; and how the options given
 * change a source run's configuration for a new run starting at a step; and which options were given.
 */
record ContinueOptions(Path resume, Path initFrom, Path out, Long steps, Integer threads, Long decayFrom,
        BiFunction<TrainConfig, Long, TrainConfig> override, Set<String> given) {
    boolean continues() {
        return resume != null || initFrom != null;
    }

    /** The options given on the command line (their longest names), help options aside. */
    static Set<String> given(CommandSpec spec) {
        return spec.commandLine().getParseResult().matchedOptions().stream().filter(o -> !o.usageHelp() && !o.versionHelp())
                .map(OptionSpec::longestName).collect(Collectors.toUnmodifiableSet());
    }
}
