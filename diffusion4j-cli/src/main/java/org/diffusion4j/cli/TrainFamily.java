package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.TrainingTask;

/**
 * A model family's side of a train command ({@code train}, {@code vae train},
 * {@code classifier train}): how to build a run from the options, how to rebuild one from a run's
 * saved description, and what to do after it. {@link TrainRunner} does the rest, once for all.
 */
interface TrainFamily {
    /** The command that trains this family, as the user types it ("vae train"). */
    String command();

    /** The checkpoint kind of the family's models. */
    String kind();

    /** Where the run's model and arrays live (--device where the command has it; else the CPU). */
    default ai.djl.Device device() {
        return ai.djl.Device.cpu();
    }

    /** A new run from the command's options (its folder not yet checked or locked). */
    Session start(NDManager m);

    /** The run to continue, rebuilt from its saved model description and configuration. */
    Session reopen(RunFolder.Continuation run, NDManager m);

    /**
     * The options a continued run (--resume, or --init-from) applies, or checks itself with a
     * message of its own; {@link TrainRunner} refuses any other that was given, since the run
     * would ignore it.
     */
    default java.util.Set<String> continueOptions(boolean resume) {
        return resume ? TrainRunner.ON_RESUME : TrainRunner.ON_INIT_FROM;
    }

    /** After a run that was not interrupted (with its folder released); returns the exit code. */
    default int finish(Path dir, NDManager m) {
        return 0;
    }

    /**
     * What to train: the model (closed after the run), its task and data, the configuration, the
     * run folder, and the line to print before training (null: the continuation's own).
     */
    record Session(AutoCloseable model, TrainingTask task, BatchSource source, TrainConfig config, Path dir, String banner)
            implements AutoCloseable {
        @Override
        public void close() throws Exception {
            model.close();
        }
    }
}
