package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Turns noise into data with a trained noise predictor. Implementations: {@link DdpmSampler}
 * (Algorithm 2) and {@link DdimSampler}. Random numbers come from PyTorch's global generator:
 * seed it ({@code Runtime.seed}) for reproducible output.
 */
public interface Sampler {
    /** Number of network calls one {@link #sample} makes. */
    int networkCalls();

    /** Draws x_T ~ N(0, I) of {@code shape} and runs the reverse process; result lives in {@code m}. */
    default NDArray sample(Denoiser model, Shape shape, NDManager m, StepListener listener) {
        return denoise(model, m.randomNormal(shape), listener);
    }

    /** Runs the reverse process from a given x_T; the result lives in x_T's manager. */
    NDArray denoise(Denoiser model, NDArray xT, StepListener listener);

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
