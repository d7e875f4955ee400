package org.diffusion4j.train;

/**
 * What one training step did.
 *
 * @param step the 1-based number of the step just done
 * @param loss its loss
 * @param learningRate the learning rate it used
 * @param gradNorm the global norm of its gradient (before clipping; not finite if skipped)
 * @param millis its wall time in milliseconds
 * @param skipped whether its update was skipped (a non-finite gradient)
 * @param skipReason why it was skipped, e.g. "non-finite gradient, first in W (loss 0.1234)"; null if it was not, or
 *     for an fp16 overflow of the loss scale (routine: the scale is lowered)
 * @param timings its phases in nanoseconds
 */
public record StepRecord(long step, float loss, double learningRate, double gradNorm, double millis, boolean skipped,
        String skipReason, StepTimings timings) {}
