package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

class GroupNormTest {
    @Test
    void matchesDefinition() {
        int b = 2, c = 12, h = 5, w = 3, g = 4;
        Random rnd = new Random(42);
        float[] x = new float[b * c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3 + (i % 7) - 2);
        }
        float[] gamma = new float[c];
        float[] beta = new float[c];
        for (int i = 0; i < c; i++) {
            gamma[i] = (float) (0.5 + rnd.nextDouble());
            beta[i] = (float) rnd.nextGaussian();
        }
        try (NDManager m = Runtime.newManager()) {
            GroupNorm gn = new GroupNorm(g);
            Shape shape = new Shape(b, c, h, w);
            gn.initialize(m, DataType.FLOAT32, shape);
            gn.getParameters().get("gamma").getArray().set(gamma);
            gn.getParameters().get("beta").getArray().set(beta);
            ParameterStore ps = new ParameterStore(m, false);
            float[] y = null;
            for (int rep = 0; rep < 2; rep++) { // second call uses the cached identity affine
                NDArray out = gn.forward(ps, new NDList(m.create(x, shape)), false).singletonOrThrow();
                assertEquals(shape, out.getShape());
                y = out.toFloatArray();
            }
            int per = c / g * h * w;
            for (int bi = 0; bi < b; bi++) {
                for (int gi = 0; gi < g; gi++) {
                    int start = (bi * c + gi * (c / g)) * h * w;
                    double mean = 0;
                    for (int i = 0; i < per; i++) {
                        mean += x[start + i];
                    }
                    mean /= per;
                    double var = 0;
                    for (int i = 0; i < per; i++) {
                        var += (x[start + i] - mean) * (x[start + i] - mean);
                    }
                    var /= per;
                    for (int i = 0; i < per; i++) {
                        int ch = gi * (c / g) + i / (h * w);
                        double expect = (x[start + i] - mean) / Math.sqrt(var + GroupNorm.EPS)
                                * gamma[ch] + beta[ch];
                        assertEquals(expect, y[start + i], 2e-5, "b" + bi + " g" + gi + " i" + i);
                    }
                }
            }
        }
    }

    @Test
    void gradientsMatchPlainOps() {
        Shape shape = new Shape(2, 8, 4, 3);
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(7);
            GroupNorm gn = new GroupNorm(2);
            gn.initialize(m, DataType.FLOAT32, shape);
            NDArray gamma = gn.getParameters().get("gamma").getArray();
            NDArray beta = gn.getParameters().get("beta").getArray();
            gamma.set(m.randomUniform(0.5f, 1.5f, new Shape(8)).toFloatArray());
            beta.set(m.randomNormal(new Shape(8)).toFloatArray());
            NDArray x = m.randomNormal(shape).mul(2).add(1);
            NDArray up = m.randomNormal(shape);
            x.setRequiresGradient(true);
            float[][] fast = grads(m, x, gamma, beta, up,
                    () -> gn.forward(new ParameterStore(m, false), new NDList(x), true).head());
            float[][] plain = grads(m, x, gamma, beta, up, () -> {
                NDArray xr = x.reshape(2, 2, -1);
                NDArray d = xr.sub(xr.mean(new int[] {2}, true));
                NDArray var = d.square().mean(new int[] {2}, true);
                return d.div(var.add(GroupNorm.EPS).sqrt()).reshape(shape)
                        .mul(gamma.reshape(8, 1, 1)).add(beta.reshape(8, 1, 1));
            });
            for (int k = 0; k < 3; k++) {
                assertEquals(plain[k].length, fast[k].length);
                for (int i = 0; i < plain[k].length; i++) {
                    assertEquals(plain[k][i], fast[k][i], 1e-4, "grad " + k + " index " + i);
                }
            }
        }
    }

    private static float[][] grads(NDManager m, NDArray x, NDArray gamma, NDArray beta, NDArray up,
            java.util.function.Supplier<NDArray> f) {
        try (ai.djl.training.GradientCollector gc =
                ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            gc.backward(f.get().mul(up).sum());
            float[][] g = {x.getGradient().toFloatArray(), gamma.getGradient().toFloatArray(),
                beta.getGradient().toFloatArray()};
            gc.zeroGradients();
            return g;
        }
    }

    /**
     * The epsilon is the one given: one group of the values {1, 3} (mean 2, biased variance 1)
     * normalises to -+1/sqrt(1 + eps): 0.8164966 for eps = 0.5, 0.9999995 for 1e-6 and 0.9999950
     * for the default 1e-5 (float32 resolves the last two: they differ by 4.5e-6).
     */
    @Test
    void epsilonIsHonoured() {
        float[] eps = {0.5f, 1e-6f, GroupNorm.EPS};
        double[] known = {0.8164966, 0.9999995, 0.9999950};
        try (NDManager m = Runtime.newManager()) {
            Shape shape = new Shape(1, 2, 1, 1);
            ParameterStore ps = new ParameterStore(m, false);
            for (int i = 0; i < eps.length; i++) {
                GroupNorm gn = i == 2 ? new GroupNorm(1) : new GroupNorm(1, eps[i]);
                assertEquals(eps[i], gn.eps());
                gn.initialize(m, DataType.FLOAT32, shape);
                float[] y = gn.forward(ps, new NDList(m.create(new float[] {1f, 3f}, shape)), false)
                        .singletonOrThrow().toFloatArray();
                assertEquals(-known[i], y[0], 3e-7, "eps " + eps[i]);
                assertEquals(known[i], y[1], 3e-7, "eps " + eps[i]);
            }
        }
    }
}
