package org.diffusion4j.train;

import java.nio.file.Path;

/**
 * Writes the full training state to one file (atomically) at every save point, first shifting
 * the older generations so that the last {@code keep} checkpoints stay ({@link CheckpointGenerations}).
 */
public final class CheckpointListener implements TrainingListener {
    private final Path file;
    private final int keep;

    /** Keeps only the newest checkpoint. */
    public CheckpointListener(Path file) {
        this(file, 1);
    }

    public CheckpointListener(Path file, int keep) {
        this.file = file;
        this.keep = keep;
    }

    @Override
    public void onStep(Trainer trainer, StepRecord record) {
        if (trainer.atSavePoint()) {
            save(trainer, file, keep);
        }
    }

    /** Writes the trainer's state to {@code file} now, keeping {@code keep} generations. */
    public static void save(Trainer trainer, Path file, int keep) {
        CheckpointGenerations.shift(file, keep);
        trainer.checkpoint().write(file);
    }
}
