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
}
