package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * Clipping by the global norm of all gradients together (DJL only clips element by element):
 * ||g|| = sqrt(sum_i ||g_i||^2); the gradients are scaled by min(1, maxNorm / ||g||).
 */
public final class GradientClipping {
    private GradientClipping() {}

    /** The global L2 norm of the gradients (one synchronising read). */
    public static double globalNorm(NamedArrays grads) {
        NDList squares = new NDList(grads.size());
        for (NDArray g : grads.arrays()) {
            squares.add(g.square().sum());
        }
        try (NDArray total = NDArrays.stack(squares).sum()) {
            double norm = Math.sqrt(total.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble());
            squares.close();
            return norm;
        }
    }

    /** The factor that brings the norm down to maxNorm; 1 when below it or when maxNorm is 0. */
    public static double scale(double norm, double maxNorm) {
        return maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
    }
}
