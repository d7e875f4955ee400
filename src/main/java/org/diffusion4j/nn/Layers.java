package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/** Small shared pieces of the U-Net. */
final class Layers {
    private Layers() {}

    /**
     * SiLU, x * sigmoid(x). DJL 0.35 has no fused SiLU for PyTorch ({@code Activation.swish}
     * costs three kernels: x*beta, sigmoid, multiply), so this is the two-kernel version.
     */
    static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** 3x3 convolution, stride 1, padding 1, with bias. */
    static Conv conv3(int out) {
        return Conv.same(3, out);
    }

    /** 3x3 convolution, stride 2, padding 1, with bias (the Down block). */
    static Conv down(int out) {
        return Conv.halving(out);
    }

    /** 1x1 convolution with bias ("network in network"). */
    static Conv nin(int out) {
        return Conv.same(1, out);
    }

    static Linear linear(int out) {
        return Linear.builder().setUnits(out).build();
    }
}
