package org.diffusion4j.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.diffusion4j.nn.GroupNorm;
import org.diffusion4j.nn.Layers;

/**
 * A residual unit without time input (the U-Net's ResBlock has one):
 * h = conv3(act(GN(conv3(act(GN(x)))))), returns skip(x) + h with skip = x or nin(x).
 */
final class ResUnit extends AbstractBlock {
    private static final byte VERSION = 1;

    private final int outChannels;
    private final GroupNorm norm0;
    private final Conv2d conv0;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Conv2d shortcut;

    ResUnit(int inChannels, int outChannels, int groups) {
        super(VERSION);
        this.outChannels = outChannels;
        norm0 = addChildBlock("norm0", new GroupNorm(Math.min(groups, inChannels)));
        conv0 = addChildBlock("conv0", Layers.conv3(outChannels));
        norm1 = addChildBlock("norm1", new GroupNorm(groups));
        conv1 = addChildBlock("conv1", Layers.conv3(outChannels));
        shortcut = inChannels != outChannels ? addChildBlock("nin_shortcut", Layers.nin(outChannels)) : null;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray h = conv0.forward(ps, new NDList(Layers.silu(norm0.forward(ps, new NDList(x), training).head())), training).head();
        h = conv1.forward(ps, new NDList(Layers.silu(norm1.forward(ps, new NDList(h), training).head())), training).head();
        NDArray skip = shortcut == null ? x : shortcut.forward(ps, new NDList(x), training).head();
        return new NDList(skip.add(h));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {new Shape(x.get(0), outChannels, x.get(2), x.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        Shape out = getOutputShapes(inputShapes)[0];
        norm0.initialize(manager, dataType, x);
        conv0.initialize(manager, dataType, x);
        norm1.initialize(manager, dataType, out);
        conv1.initialize(manager, dataType, out);
        if (shortcut != null) {
            shortcut.initialize(manager, dataType, x);
        }
    }
}
