package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.GroupNorm;
import org.diffusion4j.nn.Layers;
import org.diffusion4j.nn.Dropout;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The DDPM residual block ResBlock(a, b). Input NDList(x [B,a,H,W], act(temb) [B,4C]) — the time
 * embedding already passed through SiLU (the U-Net computes it once for all blocks). Computes
 * h = conv3(act(GN(x))); h += Linear(4C,b)(act(temb)) over H and W;
 * h = conv3(dropout(act(GN(h)))); returns skip(x) + h with skip = x or nin(a,b)(x).
 */
public final class ResBlock extends AbstractBlock {
    private static final byte VERSION = 1;

    private final int inChannels;
    private final int outChannels;
    private final float dropout;
    private final GroupNorm norm0;
    private final Conv2d conv0;
    private final Linear tembProj;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Conv2d shortcut;

    /** @param normEps the GroupNorm variance epsilon */
    public ResBlock(int inChannels, int outChannels, float dropout, int groups, float normEps) {
        super(VERSION);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.dropout = dropout;
        norm0 = addChildBlock("norm0", new GroupNorm(groups, normEps));
        conv0 = addChildBlock("conv0", Layers.conv3(outChannels));
        tembProj = addChildBlock("temb_proj", Layers.linear(outChannels));
        norm1 = addChildBlock("norm1", new GroupNorm(groups, normEps));
        conv1 = addChildBlock("conv1", Layers.conv3(outChannels));
        shortcut = inChannels != outChannels
                ? addChildBlock("nin_shortcut", Layers.nin(outChannels)) : null;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray actTemb = inputs.get(1);
        NDArray h = norm0.forward(ps, new NDList(x), training).head();
        h = conv0.forward(ps, new NDList(Layers.silu(h)), training).head();
        NDArray t = tembProj.forward(ps, new NDList(actTemb), training).head();
        h = h.add(t.reshape(t.getShape().get(0), outChannels, 1, 1));
        h = Layers.silu(norm1.forward(ps, new NDList(h), training).head());
        if (dropout > 0f && training) {
            h = Dropout.apply(h, dropout);
        }
        h = conv1.forward(ps, new NDList(h), training).head();
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
        tembProj.initialize(manager, dataType, inputShapes[1]);
        norm1.initialize(manager, dataType, out);
        conv1.initialize(manager, dataType, out);
        if (shortcut != null) {
            shortcut.initialize(manager, dataType, x);
        }
    }
}
