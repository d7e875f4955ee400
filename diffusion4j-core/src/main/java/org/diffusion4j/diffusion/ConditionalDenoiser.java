package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * eps_theta(x_t, t, y): a noise predictor told the class y of each row, with the null class
 * {@link #nullClass()} = K for "no class" (the unconditional prediction of classifier-free
 * guidance, Ho &amp; Salimans 2022). {@link ClassifierFreeGuidance} turns one into a {@link
 * Denoiser} for the samplers; {@link LabelDropout} trains the null class.
 */
public interface ConditionalDenoiser {
    /**
     * @param xt noisy data [B, ...]
     * @param t the 1-based step of each row, int32 [B]
     * @param y the class of each row, int32 [B], values in 0..K (K: the null class)
     * @param training true while training
     * @return predicted eps, the shape of {@code xt}
     */
    NDArray predictEps(NDArray xt, NDArray t, NDArray y, boolean training);

    /** K, the number of classes. */
    int numClasses();

    /** The label of the null class: K. */
    default int nullClass() {
        return numClasses();
    }

    /** The denoiser with every row's class fixed to {@code y} [B] (no guidance). */
    default Denoiser given(NDArray y) {
        return (xt, t, training) -> predictEps(xt, t, y, training);
    }
}
