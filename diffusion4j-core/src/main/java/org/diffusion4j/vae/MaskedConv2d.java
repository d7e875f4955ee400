package org.diffusion4j.vae;

import org.diffusion4j.nn.Conv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The masked convolution of PixelCNN (van den Oord et al. 2016) for one-channel images read in
 * raster order (row by row, left to right): a k x k convolution (stride 1, "same" padding, with
 * bias) whose kernel is zero below the centre row and right of the centre in the centre row.
 * Type A also zeroes the centre, so output pixel i sees only input pixels before i (the first
 * layer, on the image itself); type B keeps it, so a stack of B layers over an A layer keeps that
 * property (the later layers, on features). Masked weights get zero gradient, so they stay unused.
 */
public final class MaskedConv2d extends AbstractBlock {
    private static final byte VERSION = 1;

    /** A: the centre pixel is hidden too; B: it is seen. */
    public enum Type { A, B }

    private final Type type;
    private final int kernel;
    private final int filters;
    private final Parameter weight;
    private final Parameter bias;
    private float[] mask;

    public MaskedConv2d(Type type, int kernel, int filters) {
        super(VERSION);
        if (kernel < 1 || kernel % 2 == 0) {
            throw new IllegalArgumentException("the kernel size must be odd, got " + kernel);
        }
        this.type = type;
        this.kernel = kernel;
        this.filters = filters;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build());
    }

    /** 1 where kernel position (r, c) is seen, for a kernel of size k and the given type. */
    static boolean seen(Type type, int k, int r, int c) {
        int mid = k / 2;
        return r < mid || (r == mid && (c < mid || (c == mid && type == Type.B)));
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        long in = inputShapes[0].get(1);
        weight.setShape(new Shape(filters, in, kernel, kernel));
        bias.setShape(new Shape(filters));
        mask = new float[(int) (filters * in * kernel * kernel)];
        for (int i = 0; i < mask.length; i++) {
            int pos = i % (kernel * kernel);
            mask[i] = seen(type, kernel, pos / kernel, pos % kernel) ? 1f : 0f;
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), filters, s.get(2), s.get(3))};
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        // The mask is made in x's manager and comes first, so the masked kernel is freed with the
        // step's temporaries rather than kept with the parameters.
        NDArray masked = x.getManager().create(mask, w.getShape()).mul(w);
        int p = kernel / 2;
        return new NDList(Conv.blockAligned(x, masked, b, new Shape(1, 1), new Shape(p, p)));
    }
}
