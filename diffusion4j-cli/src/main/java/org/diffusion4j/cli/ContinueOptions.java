package org.diffusion4j.cli;

import java.nio.file.Path;
import java.util.function.BiFunction;
import org.diffusion4j.train.TrainConfig;

/**
 * How a train command was asked to continue a run: --resume RUN_DIR, or --init-from SOURCE with
 * --out NEW_DIR; the new step target, threads and decay start if given; and how the options given
 * change a source run's configuration for a new run starting at a step.
 */
record ContinueOptions(Path resume, Path initFrom, Path out, Long steps, Integer threads, Long decayFrom,
        BiFunction<TrainConfig, Long, TrainConfig> override) {
    boolean continues() {
        return resume != null || initFrom != null;
    }
}
