package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import org.diffusion4j.UserException;

/**
 * Draws the task's pictures ({@link TrainingTask#snapshot}) with the EMA weights into a folder,
 * every sampleEvery steps and at the last step (never if sampleEvery is 0).
 */
public final class SampleListener implements TrainingListener {
    private final Path dir;

    public SampleListener(Path dir) {
        this.dir = dir;
    }

    @Override
    public void onStep(Trainer trainer, StepRecord record) {
        int every = trainer.config().sampleEvery();
        if (every > 0 && (trainer.step() % every == 0 || trainer.finishing())) {
            snapshot(trainer, dir);
        }
    }

    /** Draws the pictures of the trainer's task now, with the EMA weights in the model. */
    public static void snapshot(Trainer trainer, Path dir) {
        try {
            trainer.ema().withEmaWeights(trainer.parameters(), () -> trainer.task().snapshot(trainer.step(), dir));
        } catch (IOException e) {
            throw new UserException(dir + ": cannot write pictures (" + e.getMessage() + ")");
        }
    }
}
