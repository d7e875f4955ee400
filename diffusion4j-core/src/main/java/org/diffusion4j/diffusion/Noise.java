package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The standard normal noise of one sampling run: x_T (draw 0) and the fresh noise z of each
 * stochastic step (draw k for the k-th network call, counted from 1). Rows of a draw are samples.
 *
 * <p>{@link #perSample} makes the noise of sample i a function of (seed, i, draw) only, computed
 * in Java without PyTorch's generator: the same seed gives the same samples whatever the batch
 * size, however many threads sample at once, and whichever process draws which samples.
 * {@link #global()} takes PyTorch's process-wide generator instead, as the samplers did before
 * (seed it first; not reproducible when several threads sample).
 */
@FunctionalInterface
public interface Noise {
    /** Draw {@code draw} of this run: float32 N(0, I) of {@code shape} [B, row...], in {@code m}. */
    NDArray normal(int draw, Shape shape, NDManager m);

    /** The noise of samples {@code firstSample}, {@code firstSample + 1}, ... of the run seeded with {@code seed}. */
    static Noise perSample(long seed, long firstSample) {
        return new SampleNoise(seed, firstSample);
    }

    /** PyTorch's global generator, as it is seeded now (thread-unsafe; the tests of single samplers use it). */
    static Noise global() {
        return (draw, shape, m) -> m.randomNormal(shape);
    }
}
