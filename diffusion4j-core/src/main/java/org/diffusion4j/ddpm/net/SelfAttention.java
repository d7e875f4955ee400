package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.GroupNorm;
import org.diffusion4j.nn.Layers;
import org.diffusion4j.nn.Scalar;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The DDPM attention block Attn(c): h = GN(x); q, k, v = three separate nin(c, c)(h);
 * w = softmax over the H*W keys of q^T k / sqrt(c); h = v weighted by w, back to [B,c,H,W];
 * returns x + nin(c, c)(h).
 */
public final class SelfAttention extends AbstractBlock {
    private static final byte VERSION = 1;

    private final int channels;
    private final GroupNorm norm;
    private final Conv2d q;
    private final Conv2d k;
    private final Conv2d v;
    private final Conv2d proj;

    /** @param normEps the GroupNorm variance epsilon */
    public SelfAttention(int channels, int groups, float normEps) {
        super(VERSION);
        this.channels = channels;
        norm = addChildBlock("norm", new GroupNorm(groups, normEps));
        q = addChildBlock("q", Layers.nin(channels));
        k = addChildBlock("k", Layers.nin(channels));
        v = addChildBlock("v", Layers.nin(channels));
        proj = addChildBlock("proj_out", Layers.nin(channels));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = x.getShape();
        long b = s.get(0);
        long hw = s.get(2) * s.get(3);
        NDList h = norm.forward(ps, inputs, training);
        // Scaling q (c*HW elements) instead of the logits (HW*HW) is the same product.
        NDArray qa = Scalar.mul(q.forward(ps, h, training).head().reshape(b, channels, hw),
                1.0 / Math.sqrt(channels));
        NDArray ka = k.forward(ps, h, training).head().reshape(b, channels, hw);
        NDArray va = v.forward(ps, h, training).head().reshape(b, channels, hw);
        NDArray w = qa.transpose(0, 2, 1).batchMatMul(ka).softmax(2); // [B, HW(query), HW(key)]
        NDArray o = va.batchMatMul(w.transpose(0, 2, 1)).reshape(s); // [B, c, HW(query)]
        return new NDList(x.add(proj.forward(ps, new NDList(o), training).head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        norm.initialize(manager, dataType, inputShapes);
        q.initialize(manager, dataType, inputShapes);
        k.initialize(manager, dataType, inputShapes);
        v.initialize(manager, dataType, inputShapes);
        proj.initialize(manager, dataType, inputShapes);
    }
}
