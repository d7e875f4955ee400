package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The whole reverse process of a {@link Ddpm} as one DJL block, so that DJL's {@code Predictor}
 * can run it: the input is NDList(n, seed, class, guidance) as scalars (class -1: none; guidance
 * NaN: the model's), the output the samples [n, row...] in model units. It has no parameters of
 * its own; the model's network keeps its weights.
 */
final class SamplingBlock extends AbstractBlock {
    private final Ddpm ddpm;

    SamplingBlock(Ddpm ddpm) {
        this.ddpm = ddpm;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        int n = (int) inputs.get(0).getLong();
        long seed = inputs.get(1).getLong();
        int label = (int) inputs.get(2).getLong();
        double w = inputs.get(3).getFloat();
        Sampling request = ddpm.sampling(n).seed(seed).manager(inputs.head().getManager());
        if (label >= 0) {
            request.classLabel(label);
        }
        if (!Double.isNaN(w)) {
            request.guidance(w);
        }
        NDArray x = request.draw();
        return new NDList(x);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {ddpm.spec().batchShape(-1)};
    }
}
