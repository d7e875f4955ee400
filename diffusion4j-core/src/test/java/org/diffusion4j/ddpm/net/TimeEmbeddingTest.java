package org.diffusion4j.ddpm.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

class TimeEmbeddingTest {
    @Test
    void sinusoidMatchesFormula() {
        int dim = 16;
        int half = dim / 2;
        int[] steps = {0, 1, 17, 500, 999};
        try (NDManager m = Runtime.newManager()) {
            NDArray emb = TimeEmbedding.sinusoidal(m.create(steps), dim);
            assertEquals(new Shape(steps.length, dim), emb.getShape());
            float[] got = emb.toFloatArray();
            for (int r = 0; r < steps.length; r++) {
                for (int i = 0; i < half; i++) {
                    double freq = Math.exp(-Math.log(10000) * i / (half - 1));
                    double arg = (float) steps[r] * (float) freq; // the float32 product
                    assertEquals(Math.sin(arg), got[r * dim + i], 1e-4, "sin t=" + steps[r] + " i=" + i);
                    assertEquals(Math.cos(arg), got[r * dim + half + i], 1e-4, "cos t=" + steps[r] + " i=" + i);
                }
            }
            // the last frequency is exactly 1/10000, the first exactly 1
            float[] f = TimeEmbedding.frequencies(dim);
            assertEquals(1f, f[0]);
            assertEquals(1e-4, f[half - 1], 1e-10);
        }
    }

    @Test
    void blockShapeAndIntOrFloatSteps() {
        try (NDManager m = Runtime.newManager()) {
            TimeEmbedding te = new TimeEmbedding(8);
            te.initialize(m, DataType.FLOAT32, new Shape(3));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray a = te.forward(ps, new NDList(m.create(new int[] {0, 5, 9})), false).head();
            NDArray b = te.forward(ps, new NDList(m.create(new float[] {0, 5, 9})), false).head();
            assertEquals(new Shape(3, 32), a.getShape());
            assertEquals(a.toFloatArray().length, b.toFloatArray().length);
            float[] fa = a.toFloatArray();
            float[] fb = b.toFloatArray();
            for (int i = 0; i < fa.length; i++) {
                assertEquals(fa[i], fb[i], 0f);
            }
        }
    }
}
