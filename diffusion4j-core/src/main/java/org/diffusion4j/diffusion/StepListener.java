package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Called by a sampler after each network call, with the step t just processed, the current x_t
 * (before the update) and the predicted clean data x0Hat. The arrays are only valid during the
 * call: copy what you keep.
 */
@FunctionalInterface
public interface StepListener {
    StepListener NONE = (i, count, t, xt, x0Hat) -> { };

    /**
     * @param index 0-based index of this network call
     * @param count number of network calls the sampler makes
     * @param t the 1-based diffusion step
     */
    void onStep(int index, int count, int t, NDArray xt, NDArray x0Hat);
}
