package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * Adapts any DJL {@link Block} taking {@code NDList(x_t, tIndex)} to a {@link Denoiser}. The
 * block receives the 0-based step index t - 1 (as the reference code feeds its network). A
 * class-conditional block (numClasses > 0) also takes {@code NDList(x_t, tIndex, y)}: then this
 * is a {@link ConditionalDenoiser} too, and the unconditional call leaves y to the block (its
 * null class).
 */
public final class BlockDenoiser implements Denoiser, ConditionalDenoiser {
    private final Block block;
    private final ParameterStore parameterStore;
    private final int numClasses;

    /** @param numClasses the block's classes (0: an unconditional block) */
    public BlockDenoiser(Block block, ParameterStore parameterStore, int numClasses) {
        this.block = block;
        this.parameterStore = parameterStore;
        this.numClasses = numClasses;
    }

    public BlockDenoiser(Block block, ParameterStore parameterStore) {
        this(block, parameterStore, 0);
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

    @Override
    public NDArray predictEps(NDArray xt, NDArray t, NDArray y, boolean training) {
        if (numClasses == 0) {
            throw new IllegalStateException("the network is not class-conditional");
        }
        NDArray index = t.sub(1);
        return block.forward(parameterStore, new NDList(xt, index, y), training).singletonOrThrow();
    }

    @Override
    public int numClasses() {
        return numClasses;
    }
}
