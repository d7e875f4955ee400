package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * eps_theta(x_t, t): predicts the noise that was mixed into x_t. The diffusion code talks only
 * to this interface, so any network (a U-Net for images, an MLP for 2-D points) or a closed-form
 * function can be plugged in.
 */
@FunctionalInterface
public interface Denoiser {
    /**
     * @param xt noisy data, shape [B, ...] (any trailing shape: images, vectors, points)
     * @param t the 1-based step of each row, int32, shape [B], values in 1..T
     * @param training true while training (dropout active, gradients recorded by the caller)
     * @return predicted eps, the shape of {@code xt}
     */
    NDArray predictEps(NDArray xt, NDArray t, boolean training);
}
