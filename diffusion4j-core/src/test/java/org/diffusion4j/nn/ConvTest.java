package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

/**
 * The convolution's output and all three gradients against a direct convolution in double
 * precision written out as loops. The shapes include output-channel counts that are not a
 * multiple of 16 (1 and 3: the conv_out of MNIST and CIFAR U-Nets), for which PyTorch 2.7.1's
 * oneDNN backward-data kernel returned wrong input gradients on an AVX-512 machine.
 */
class ConvTest {
    /** {batch, in, out, size, kernel, stride}. */
    private static final int[][] CASES = {
        {2, 32, 1, 12, 3, 1}, {4, 8, 3, 10, 3, 1}, {2, 16, 24, 9, 3, 2}, {3, 5, 2, 7, 1, 1}, {2, 16, 16, 8, 3, 1},
        // more than 16 input channels, not a multiple of 16: oneDNN's forward result was wrong on one machine
        {2, 24, 16, 7, 3, 1}, {2, 40, 8, 6, 3, 2}, {2, 20, 3, 5, 1, 1},
    };

    @Test
    void outputAndGradientsMatchADirectConvolution() {
        for (int[] c : CASES) {
            for (int rep = 0; rep < 3; rep++) { // the wrong gradients came and went between calls
                check(c[0], c[1], c[2], c[3], c[4], c[5], 100 * rep + c[2]);
            }
        }
    }

    private static void check(int n, int cin, int cout, int size, int k, int stride, long seed) {
        Random rnd = new Random(seed);
        int p = k / 2;
        int out = (size + 2 * p - k) / stride + 1;
        float[] x = gaussian(rnd, n * cin * size * size);
        float[] w = gaussian(rnd, cout * cin * k * k);
        float[] b = gaussian(rnd, cout);
        float[] g = gaussian(rnd, n * cout * out * out); // the upstream gradient dL/dy
        try (NDManager m = Runtime.newManager()) {
            Conv conv = Conv.of(Conv2d.builder().setKernelShape(new Shape(k, k)).optPadding(new Shape(p, p))
                    .optStride(new Shape(stride, stride)).setFilters(cout));
            Shape xs = new Shape(n, cin, size, size);
            conv.initialize(m, DataType.FLOAT32, xs);
            NDArray wa = conv.getParameters().get("weight").getArray();
            NDArray ba = conv.getParameters().get("bias").getArray();
            wa.set(w);
            ba.set(b);
            NDArray xa = m.create(x, xs);
            xa.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = conv.forward(new ParameterStore(m, false), new NDList(xa), true).singletonOrThrow();
                gc.backward(y.mul(m.create(g, y.getShape())).sum()); // L = sum(y * g)
            }
            double[] yRef = new double[g.length];
            double[] gx = new double[x.length];
            double[] gw = new double[w.length];
            double[] gb = new double[b.length];
            for (int i = 0; i < n; i++) {
                for (int o = 0; o < cout; o++) {
                    for (int r = 0; r < out; r++) {
                        for (int s = 0; s < out; s++) {
                            int yi = ((i * cout + o) * out + r) * out + s;
                            double acc = b[o];
                            gb[o] += g[yi];
                            for (int c = 0; c < cin; c++) {
                                for (int u = 0; u < k; u++) {
                                    for (int v = 0; v < k; v++) {
                                        int row = r * stride + u - p;
                                        int col = s * stride + v - p;
                                        if (row < 0 || col < 0 || row >= size || col >= size) {
                                            continue;
                                        }
                                        int xi = ((i * cin + c) * size + row) * size + col;
                                        int wi = ((o * cin + c) * k + u) * k + v;
                                        acc += (double) x[xi] * w[wi];
                                        gx[xi] += (double) g[yi] * w[wi];
                                        gw[wi] += (double) g[yi] * x[xi];
                                    }
                                }
                            }
                            yRef[yi] = acc;
                        }
                    }
                }
            }
            String what = String.format("B %d, %d -> %d channels, %dx%d, k %d, stride %d", n, cin, cout, size, size, k, stride);
            assertClose(yRef, y.toFloatArray(), "output, " + what);
            NDArray yEval = conv.forward(new ParameterStore(m, false), new NDList(m.create(x, xs)), false).singletonOrThrow();
            assertClose(yRef, yEval.toFloatArray(), "output without autograd, " + what);
            assertClose(gx, xa.getGradient().toFloatArray(), "input gradient, " + what);
            assertClose(gw, wa.getGradient().toFloatArray(), "weight gradient, " + what);
            assertClose(gb, ba.getGradient().toFloatArray(), "bias gradient, " + what);
        }
    }

    @Test
    void savedFormIsDjlConv2ds() throws Exception {
        try (NDManager m = Runtime.newManager()) {
            Shape xs = new Shape(1, 4, 6, 6);
            Conv ours = Conv.same(3, 5);
            Conv2d djl = Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(5).build();
            ours.initialize(m, DataType.FLOAT32, xs);
            djl.initialize(m, DataType.FLOAT32, xs);
            djl.getParameters().get("weight").getArray().set(ours.getParameters().get("weight").getArray().toFloatArray());
            djl.getParameters().get("bias").getArray().set(ours.getParameters().get("bias").getArray().toFloatArray());
            assertArrayEquals(saved(djl), saved(ours));
        }
    }

    private static byte[] saved(ai.djl.nn.Block block) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream os = new DataOutputStream(bytes)) {
            block.saveParameters(os);
        }
        return bytes.toByteArray();
    }

    private static void assertClose(double[] expect, float[] got, String what) {
        double scale = 0;
        for (double e : expect) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expect.length; i++) {
            double err = Math.abs(got[i] - expect[i]);
            assertTrue(err <= 1e-4 * scale + 1e-5,
                    what + ": element " + i + " is " + got[i] + ", expected " + expect[i]);
        }
    }

    private static float[] gaussian(Random rnd, int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
