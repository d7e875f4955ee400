package org.diffusion4j.train;

import java.nio.file.Path;

/** Writes the full training state to one file (atomically) at every save point. */
public final class CheckpointListener implements TrainingListener {
    private final Path file;

    public CheckpointListener(Path file) {
        this.file = file;
    }

    @Override
    public void onStep(Trainer trainer, StepRecord record) {
        if (trainer.atSavePoint()) {
            trainer.checkpoint().write(file);
        }
    }
}
