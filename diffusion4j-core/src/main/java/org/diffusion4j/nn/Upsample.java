package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Up(c): nearest-neighbour upsampling x2, then conv3(c, c). */
public final class Upsample extends AbstractBlock {
    private static final byte VERSION = 1;

    private final Conv2d conv;

    public Upsample(int channels) {
        super(VERSION);
        conv = addChildBlock("conv", Layers.conv3(channels));
    }

    /** Nearest-neighbour x2 upsampling of [B, C, H, W] (PyTorch's nearest interpolate). */
    public static NDArray nearest2x(NDArray x) {
        Shape s = x.getShape();
        return x.getNDArrayInternal().interpolation(new long[] {2 * s.get(2), 2 * s.get(3)}, 0, false);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return conv.forward(ps, new NDList(nearest2x(inputs.singletonOrThrow())), training);
    }

    private static Shape doubled(Shape s) {
        return new Shape(s.get(0), s.get(1), 2 * s.get(2), 2 * s.get(3));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return conv.getOutputShapes(new Shape[] {doubled(inputShapes[0])});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        conv.initialize(manager, dataType, doubled(inputShapes[0]));
    }
}
