package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Multiplying or dividing by a number on a path that autograd records.
 *
 * <p>Why not {@code x.mul(0.5)}: DJL 0.35's {@code PtNDArray.mul(Number)} (and {@code div},
 * {@code pow}) wraps the number in a tensor over a Java direct buffer (torch::from_blob) and closes
 * it right after the operation; autograd has kept that tensor for the backward pass, so the
 * gradient later reads memory the garbage collector may already have freed and reused. Seen here
 * as non-finite or huge gradients every few steps once the Java heap was busy. A 0-d tensor made
 * by PyTorch itself ({@code full}) owns its memory and is safe.
 */
public final class Scalar {
    private Scalar() {}

    /** A 0-d array holding v, in x's manager and data type, with memory owned by PyTorch. */
    public static NDArray like(NDArray x, double v) {
        return x.getManager().full(new Shape(), (float) v, x.getDataType());
    }

    /** x * v, safe for autograd. */
    public static NDArray mul(NDArray x, double v) {
        return x.mul(like(x, v));
    }

    /** x / v, safe for autograd. */
    public static NDArray div(NDArray x, double v) {
        return x.div(like(x, v));
    }
}
