package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

class DropoutTest {
    @Test
    void keepsEachElementWithProbabilityOneMinusPAndScales() {
        float p = 0.1f;
        int n = 2_000_000;
        float[] mask = Dropout.mask(42, n, p);
        float scale = 1f / 0.9f;
        long kept = 0;
        long keptPairs = 0;
        for (int i = 0; i < n; i++) {
            assertTrue(mask[i] == 0f || mask[i] == scale, "value " + mask[i]);
            if (mask[i] != 0f) {
                kept++;
                if (i % 2 == 0 && mask[i + 1] != 0f) {
                    keptPairs++;
                }
            }
        }
        // Binomial: keep fraction 0.9, and the two halves of one 64-bit draw independent (pairs 0.81).
        double se = Math.sqrt(0.9 * 0.1 / n);
        assertEquals(0.9, kept / (double) n, 5 * se);
        double sePairs = Math.sqrt(0.81 * 0.19 / (n / 2));
        assertEquals(0.81, keptPairs / (n / 2.0), 5 * sePairs);
        // E[mask] = 1: dropout leaves the expectation unchanged.
        double mean = 0;
        for (float v : mask) {
            mean += v;
        }
        assertEquals(1.0, mean / n, 5 * se * scale);
    }

    @Test
    void theMaskIsAFunctionOfTheSeedOnly() {
        float[] a = Dropout.mask(7, 3 * Dropout.CHUNK + 5, 0.3f);
        float[] b = Dropout.mask(7, 3 * Dropout.CHUNK + 5, 0.3f);
        assertArrayEquals(a, b);
        float[] longer = Dropout.mask(7, 5 * Dropout.CHUNK, 0.3f);
        assertArrayEquals(a, Arrays.copyOf(longer, a.length));
        assertFalse(Arrays.equals(a, Dropout.mask(8, a.length, 0.3f)));
        assertThrows(IllegalArgumentException.class, () -> Dropout.mask(1, 10, 1f));
    }

    @Test
    void seededByPyTorchAndDifferentiable() {
        Runtime.init();
        try (NDManager m = Runtime.newManager()) {
            NDArray x = m.ones(new Shape(4, 8, 5, 5)).mul(3f);
            x.setRequiresGradient(true);
            float[] y;
            float[] grad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Runtime.seed(11);
                NDArray out = Dropout.apply(x, 0.25f);
                y = out.toFloatArray();
                gc.backward(out.sum());
                grad = x.getGradient().toFloatArray();
            }
            for (int i = 0; i < y.length; i++) {
                // y = 3 * mask and dy/dx = mask, mask in {0, 4/3}.
                assertEquals(y[i] / 3f, grad[i], 1e-6f);
                assertTrue(grad[i] == 0f || Math.abs(grad[i] - 4f / 3f) < 1e-6f);
            }
            Runtime.seed(11);
            assertArrayEquals(y, Dropout.apply(m.ones(new Shape(4, 8, 5, 5)).mul(3f), 0.25f).toFloatArray());
            Runtime.seed(12);
            assertFalse(Arrays.equals(y, Dropout.apply(m.ones(new Shape(4, 8, 5, 5)).mul(3f), 0.25f).toFloatArray()));
        }
    }

    @Test
    void severalMasksInOneGraphEachGetTheirOwnGradient() throws Exception {
        Runtime.init();
        // A fresh thread: its reusable buffer starts empty, as in the first step of a process.
        Throwable[] failure = new Throwable[1];
        Thread worker = new Thread(() -> {
            try (NDManager m = Runtime.newManager()) {
                Shape[] shapes = {new Shape(16, 32, 28, 28), new Shape(16, 64, 14, 14), new Shape(16, 64, 7, 7),
                        new Shape(16, 32, 28, 28)};
                NDArray[] xs = new NDArray[shapes.length];
                NDArray[] ys = new NDArray[shapes.length];
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    Runtime.seed(5);
                    NDArray total = null;
                    for (int k = 0; k < shapes.length; k++) {
                        xs[k] = m.ones(shapes[k]).mul(k + 2f);
                        xs[k].setRequiresGradient(true);
                        ys[k] = Dropout.apply(xs[k], 0.1f);
                        NDArray s = ys[k].sum();
                        total = total == null ? s : total.add(s);
                    }
                    gc.backward(total);
                }
                for (int k = 0; k < shapes.length; k++) {
                    float[] y = ys[k].toFloatArray();
                    float[] g = xs[k].getGradient().toFloatArray();
                    for (int i = 0; i < y.length; i++) {
                        assertTrue(Float.isFinite(g[i]), "mask " + k + " element " + i + ": gradient " + g[i]);
                        assertEquals(y[i] / (k + 2f), g[i], 1e-5f, "mask " + k + " element " + i);
                    }
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        worker.start();
        worker.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }
}
