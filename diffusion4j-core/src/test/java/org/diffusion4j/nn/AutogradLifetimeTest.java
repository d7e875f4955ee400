package org.diffusion4j.nn;

import org.diffusion4j.ddpm.net.SelfAttention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.ByteBuffer;
import java.util.function.Function;
import org.diffusion4j.Runtime;
import org.diffusion4j.vae.Bounds;
import org.diffusion4j.vae.Kl;
import org.junit.jupiter.api.Test;

/**
 * Gradients must not depend on what the Java heap does between the forward and the backward pass:
 * DJL frees the memory of number operands (x.mul(0.5)) while autograd still holds them, so every
 * recorded path computes its gradient here twice, once with garbage collection and freshly
 * written direct buffers in between, and the two must agree exactly.
 */
class AutogradLifetimeTest {
    /** Input gradient of sum(f(x)), with or without heap churn between forward and backward. */
    private static float[] inputGradient(NDManager m, float[] x, Shape shape, Function<NDArray, NDArray> f, boolean churn) {
        try (NDManager sub = m.newSubManager()) {
            NDArray in = sub.create(x, shape).duplicate();
            in.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(in).sum();
                if (churn) {
                    churn();
                }
                gc.backward(y);
            }
            return in.getGradient().toFloatArray();
        }
    }

    private static void churn() {
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < 16; k++) {
                byte[] garbage = new byte[16 << 20];
                garbage[k] = 1;
            }
            System.gc();
            for (int k = 0; k < 64; k++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4096);
                while (b.remaining() >= 4) {
                    b.putFloat(Float.NaN);
                }
            }
        }
    }

    private static float[] values(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void scalarProductsKeepTheirOperandForBackward() {
        Runtime.init();
        try (NDManager m = Runtime.newManager()) {
            Shape s = new Shape(1000);
            float[] x = values(1000, 1);
            float[] g = inputGradient(m, x, s, a -> Scalar.div(Scalar.mul(a, 0.5), 4.0), true);
            for (float v : g) {
                assertEquals(0.125f, v, 0f);
            }
        }
    }

    @Test
    void attentionAndVaeTermsGiveTheSameGradientsWhateverTheHeapDoes() {
        Runtime.init();
        try (NDManager m = Runtime.newManager()) {
            SelfAttention attn = new SelfAttention(16, 4, GroupNorm.EPS);
            Shape s = new Shape(2, 16, 7, 7);
            attn.initialize(m, DataType.FLOAT32, s);
            ParameterStore ps = new ParameterStore(m, false);
            float[] x = values((int) s.size(), 2);
            Function<NDArray, NDArray> f = a -> attn.forward(ps, new NDList(a), true).head();
            assertArrayEquals(inputGradient(m, x, s, f, false), inputGradient(m, x, s, f, true));

            Shape l = new Shape(8, 5);
            float[] mu = values(40, 3);
            NDArray eps = m.randomNormal(l);
            NDArray logVar = m.create(values(40, 4), l).mul(0.1f);
            Function<NDArray, NDArray> vae = a -> Kl.standardNormal(a, logVar)
                    .add(Kl.logNormal(Bounds.reparameterize(a, logVar, eps), null, null));
            assertArrayEquals(inputGradient(m, mu, l, vae, false), inputGradient(m, mu, l, vae, true));
        }
    }
}
