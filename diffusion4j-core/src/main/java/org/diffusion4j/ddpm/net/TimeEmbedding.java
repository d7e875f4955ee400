package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.Layers;
import org.diffusion4j.nn.LowPrecision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Time embedding of the DDPM U-Net: the sinusoidal vector of dimension C of the 0-based step t
 * (half = C/2, freq_i = exp(-ln(10000) * i / (half - 1)), emb = [sin(t*freq), cos(t*freq)],
 * sines first), then Linear(C, 4C) -> SiLU -> Linear(4C, 4C).
 *
 * <p>Input: NDList(t) with t of shape [B] (any numeric type). Output: [B, 4C].
 */
public final class TimeEmbedding extends AbstractBlock {
    private static final byte VERSION = 1;

    private final int dim;
    private final Linear dense0;
    private final Linear dense1;

    /** @param dim the base channel count C (even, >= 4) */
    public TimeEmbedding(int dim) {
        super(VERSION);
        if (dim < 4 || dim % 2 != 0) {
            throw new IllegalArgumentException("time embedding dimension must be even and >= 4");
        }
        this.dim = dim;
        dense0 = addChildBlock("dense0", Layers.linear(4 * dim));
        dense1 = addChildBlock("dense1", Layers.linear(4 * dim));
    }

    /** The frequencies exp(-ln(10000) * i / (half - 1)), i in 0..half-1, as float32. */
    public static float[] frequencies(int dim) {
        int half = dim / 2;
        float[] f = new float[half];
        double scale = Math.log(10000.0) / (half - 1);
        for (int i = 0; i < half; i++) {
            f[i] = (float) Math.exp(-scale * i);
        }
        return f;
    }

    /**
     * The sinusoidal embedding [B, dim] of t [B]: [sin(t*freq), cos(t*freq)]; t is converted to
     * float32 and the product is computed in float32, as the reference code does.
     */
    public static NDArray sinusoidal(NDArray t, int dim) {
        NDManager m = t.getManager();
        long b = t.getShape().size();
        NDArray tf = t.getDataType() == DataType.FLOAT32 ? t : t.toType(DataType.FLOAT32, false);
        NDArray freq = m.create(frequencies(dim), new Shape(1, dim / 2));
        NDArray arg = tf.reshape(b, 1).mul(freq);
        return NDArrays.concat(new NDList(arg.sin(), arg.cos()), 1);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray emb = LowPrecision.toCompute(sinusoidal(inputs.head(), dim));
        NDArray h = dense0.forward(ps, new NDList(emb), training).head();
        return dense1.forward(ps, new NDList(Layers.silu(h)), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), 4L * dim)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        dense0.initialize(manager, dataType, new Shape(b, dim));
        dense1.initialize(manager, dataType, new Shape(b, 4L * dim));
    }
}
