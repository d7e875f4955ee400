package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Turns noise into data with a trained noise predictor. Implementations: {@link DdpmSampler}
 * (Algorithm 2), {@link DdimSampler}, {@link DpmSolverSampler} and {@link HeunSampler}; {@link
 * SamplerSettings} names one with its options. The noise comes from a {@link Noise}: with {@link
 * Noise#perSample} the output is a function of the seed and the sample's index alone. A sampler
 * keeps no state between calls: one instance may be used by several threads at once.
 */
public interface Sampler {
    /** Number of network calls one {@link #sample} makes. */
    int networkCalls();

    /** The noise schedule the sampler was made for (a model must have the same one). */
    NoiseSchedule schedule();

    /** Draws x_T ~ N(0, I) of {@code shape} (draw 0 of {@code noise}) and runs the reverse process; result lives in {@code m}. */
    default NDArray sample(Denoiser model, Shape shape, Noise noise, NDManager m, StepListener listener) {
        return denoise(model, noise.normal(0, shape, m), noise, listener);
    }

    /** As above with PyTorch's global generator ({@link Noise#global()}): seed it first. */
    default NDArray sample(Denoiser model, Shape shape, NDManager m, StepListener listener) {
        return sample(model, shape, Noise.global(), m, listener);
    }

    /**
     * Runs the reverse process from a given x_T, the noise of the k-th network call's step (if the
     * step adds noise) being draw k of {@code noise}; the result lives in x_T's manager.
     */
    NDArray denoise(Denoiser model, NDArray xT, Noise noise, StepListener listener);

    /** As above with PyTorch's global generator ({@link Noise#global()}). */
    default NDArray denoise(Denoiser model, NDArray xT, StepListener listener) {
        return denoise(model, xT, Noise.global(), listener);
    }

    /** One reverse step: x_t to its successor, temporaries in {@code scope}. */
    @FunctionalInterface
    interface Step {
        NDArray apply(NDArray xt, NDManager scope);
    }

    /**
     * Runs one step in a scope of its own so that memory stays flat over all steps (an op's result
     * lives in its first operand's manager, so x is lent to the scope); the result moves to x_T's
     * manager, and the previous x is closed unless it is the caller's x_T.
     */
    static NDArray scoped(NDArray x, NDArray xT, Step step) {
        NDManager out = xT.getManager();
        NDArray next;
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(x);
            next = step.apply(x, scope);
            next.attach(out);
        }
        if (x != xT) {
            x.close();
        }
        return next;
    }
}
