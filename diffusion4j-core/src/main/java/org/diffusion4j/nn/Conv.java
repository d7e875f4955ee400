package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A 2-D convolution (DJL's {@link Conv2d}: same parameters, names and saved form) whose input
 * gradient is right whatever the number of output channels.
 *
 * <p>Why: PyTorch 2.7.1's CPU convolution runs on oneDNN (v3.7.1), which stores channels in
 * blocks of 16. When the output channels are not a multiple of 16 (conv_out of an MNIST U-Net has
 * one), its backward-data kernel was seen here, on an AVX-512 AMD EPYC, to return an input
 * gradient off by up to ~50% of its largest element, and now and then NaN, while the forward
 * pass and the weight gradient were right (measured against float64 and a plain loop). So while
 * autograd is recording, the kernel gets zero output channels in front, up to the next multiple of
 * 16, and the extra outputs are sliced away: the result and every gradient are unchanged in exact
 * arithmetic (the padded outputs are constant zero with zero gradient), and oneDNN runs the
 * block-aligned kernels that are right. Without autograd (sampling, evaluation) the outputs are
 * not padded. On another AVX-512 AMD EPYC the forward result itself was wrong whenever there were
 * more than 16 input channels and not a multiple of 16 (24, 40, 72: errors up to a third of the
 * largest output, with or without autograd), so such inputs get zero channels at the end, up to
 * the next multiple of 16, with zero weights for them: again the same result in exact arithmetic.
 */
public final class Conv extends Conv2d {
    /** oneDNN's channel block on AVX-512. */
    static final int BLOCK = 16;

    private Conv(Conv2d.Builder builder) {
        super(builder);
    }

    /** A convolution configured by a DJL {@code Conv2d.builder()}. */
    public static Conv of(Conv2d.Builder builder) {
        return new Conv(builder);
    }

    /** k x k convolution, stride 1, padding k/2 ("same"), with bias. */
    public static Conv same(int kernel, int filters) {
        return of(Conv2d.builder().setKernelShape(new Shape(kernel, kernel))
                .optPadding(new Shape(kernel / 2, kernel / 2)).setFilters(filters));
    }

    /** 3x3 convolution, stride 2, padding 1, with bias: halves the height and width. */
    public static Conv halving(int filters) {
        return of(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                .optStride(new Shape(2, 2)).setFilters(filters));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = includeBias ? ps.getValue(bias, x.getDevice(), training) : null;
        return new NDList(blockAligned(x, w, b, stride, padding, dilation, groups));
    }

    /** conv2d(x, w, b) with the output channels padded as described above while autograd records. */
    public static NDArray blockAligned(NDArray x, NDArray w, NDArray b, Shape stride, Shape padding) {
        return blockAligned(x, w, b, stride, padding, new Shape(1, 1), 1);
    }

    static NDArray blockAligned(
            NDArray x, NDArray w, NDArray b, Shape stride, Shape padding, Shape dilation, int groups) {
        long in = w.getShape().get(1);
        if (groups == 1 && in > BLOCK && in % BLOCK != 0) {
            // More than 16 input channels but not a multiple of 16: oneDNN's forward result was
            // seen wrong (by up to a third of its largest element), with or without autograd.
            // Zero input channels with zero weights change nothing in exact arithmetic.
            NDManager m = x.getManager();
            long pad = BLOCK - in % BLOCK;
            Shape xs = x.getShape();
            Shape ws = w.getShape();
            x = x.concat(m.zeros(new Shape(xs.get(0), pad, xs.get(2), xs.get(3)), x.getDataType()), 1);
            w = w.concat(m.zeros(new Shape(ws.get(0), pad, ws.get(2), ws.get(3)), w.getDataType()), 1);
        }
        long out = w.getShape().get(0);
        long pad = (BLOCK - out % BLOCK) % BLOCK;
        if (pad == 0 || groups != 1 || !JniUtils.isGradMode()) {
            return Conv2d.conv2d(x, w, b, stride, padding, dilation, groups).singletonOrThrow();
        }
        // The zero channels come first: DJL puts a result in the manager of the array it is
        // called on, so the padded kernel lives in x's manager and is freed with the step's
        // temporaries instead of piling up with the parameters.
        NDManager m = x.getManager();
        Shape ws = w.getShape();
        NDArray wPadded = m.zeros(new Shape(pad, ws.get(1), ws.get(2), ws.get(3)), w.getDataType()).concat(w, 0);
        NDArray bPadded = b == null ? null : m.zeros(new Shape(pad), b.getDataType()).concat(b, 0);
        NDArray y = Conv2d.conv2d(x, wPadded, bPadded, stride, padding, dilation, 1).singletonOrThrow();
        return y.get(new NDIndex(":, {}:", pad));
    }
}
