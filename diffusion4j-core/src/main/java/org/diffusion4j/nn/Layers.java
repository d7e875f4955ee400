package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/** Small shared pieces of the networks: SiLU and the convolutions and linear layers they use. */
public final class Layers {
    private Layers() {}

    /**
     * SiLU, x * sigmoid(x). DJL 0.35 has no fused SiLU for PyTorch ({@code Activation.swish}
     * costs three kernels: x*beta, sigmoid, multiply), so this is the two-kernel version.
     */
    public static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** 3x3 convolution, stride 1, padding 1, with bias. */
    public static Conv conv3(int out) {
        return Conv.same(3, out);
    }

    /** 3x3 convolution, stride 2, padding 1, with bias (the Down block). */
    public static Conv down(int out) {
        return Conv.halving(out);
    }

    /** 1x1 convolution with bias ("network in network"). */
    public static Conv nin(int out) {
        return Conv.same(1, out);
    }

    public static Linear linear(int out) {
        return Linear.builder().setUnits(out).build();
    }
}
