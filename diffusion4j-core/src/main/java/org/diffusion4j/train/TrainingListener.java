package org.diffusion4j.train;

/**
 * What happens around the training loop (as DJL's TrainingListener): metrics, checkpoints,
 * pictures, progress, timings. {@link Trainer} calls its listeners in the order they were added;
 * the loop itself writes nothing and prints nothing.
 */
public interface TrainingListener {
    /** Before the first step of a call to {@link Trainer#run()}. */
    default void onStart(Trainer trainer) {}

    /**
     * After each step; {@link Trainer#step()} is already {@code record.step()}, and
     * {@link Trainer#atSavePoint()} says whether this step is one to save at.
     */
    default void onStep(Trainer trainer, StepRecord record) {}

    /** When the run ends: finished, stopped, or failed (then before the exception leaves {@code run}). */
    default void onEnd(Trainer trainer) {}
}
