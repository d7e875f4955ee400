package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * Adapts any DJL {@link Block} taking {@code NDList(x_t, tIndex)} to a {@link Denoiser}. The
 * block receives the 0-based step index t - 1 (as the reference code feeds its network).
 */
public final class BlockDenoiser implements Denoiser {
    private final Block block;
    private final ParameterStore parameterStore;

    public BlockDenoiser(Block block, ParameterStore parameterStore) {
        this.block = block;
        this.parameterStore = parameterStore;
    }

    public BlockDenoiser(Block block) {
        this(block, new ParameterStore());
    }

    public Block block() {
        return block;
    }

    @Override
    public NDArray predictEps(NDArray xt, NDArray t, boolean training) {
        NDArray index = t.sub(1);
        return block.forward(parameterStore, new NDList(xt, index), training).singletonOrThrow();
    }
}
