package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

/** Classifier-free guidance against a hand computation with a closed-form conditional predictor. */
class ClassifierFreeGuidanceTest {
    /** eps(x, t, y) = 0.5 x + 0.01 t + c[y], elementwise; records the batch of every call. */
    static final class Affine implements ConditionalDenoiser {
        static final float[] C = {0.3f, -1.2f, 2.0f, 0.7f}; // classes 0..2 and the null class 3
        final List<Long> calls = new ArrayList<>();

        @Override
        public NDArray predictEps(NDArray xt, NDArray t, NDArray y, boolean training) {
            calls.add(xt.getShape().get(0));
            NDManager m = xt.getManager();
            NDArray c = m.create(C).get(y.toType(DataType.INT64, false)).reshape(xt.getShape().get(0), 1);
            NDArray tf = t.toType(DataType.FLOAT32, false).mul(0.01f).reshape(xt.getShape().get(0), 1);
            return xt.mul(0.5f).add(tf).add(c);
        }

        @Override
        public int numClasses() {
            return 3;
        }
    }

    static double eps(double x, int t, int y) {
        return 0.5 * x + 0.01 * t + Affine.C[y];
    }

    @Test
    void guidedPredictionIsTheFormulaInOneBatchedCall() {
        try (NDManager m = Runtime.newManager()) {
            float[] x = {0.1f, -0.4f, 1.5f, 2.0f, -0.3f, 0.9f};
            int[] t = {1, 500, 1000};
            int[] y = {0, 2, 3};
            Affine model = new Affine();
            double w = 1.5;
            NDArray out = new ClassifierFreeGuidance(model, m.create(y), w)
                    .predictEps(m.create(x).reshape(3, 2), m.create(t), false);
            float[] got = out.toFloatArray();
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 2; j++) {
                    double xi = x[2 * i + j];
                    double want = (1 + w) * eps(xi, t[i], y[i]) - w * eps(xi, t[i], 3);
                    assertEquals(want, got[2 * i + j], 1e-5, "row " + i + " element " + j);
                }
            }
            assertEquals(List.of(6L), model.calls, "one network call on the doubled batch");
            // the null-class row gets the unconditional prediction whatever w
            assertEquals(eps(x[4], t[2], 3), got[4], 1e-5);
        }
    }

    @Test
    void zeroGuidanceIsTheConditionalPrediction() {
        try (NDManager m = Runtime.newManager()) {
            Affine model = new Affine();
            NDArray x = m.create(new float[] {0.2f, -1f, 0.5f, 3f}).reshape(4, 1);
            NDArray t = m.create(new int[] {3, 30, 300, 999});
            NDArray y = m.create(new int[] {2, 1, 0, 2});
            float[] guided = new ClassifierFreeGuidance(model, y, 0).predictEps(x, t, false).toFloatArray();
            float[] conditional = model.predictEps(x, t, y, false).toFloatArray();
            assertArrayEquals(conditional, guided);
            assertEquals(List.of(4L, 4L), model.calls, "w = 0 makes one call on the batch itself");
        }
    }

    @Test
    void rejectsNegativeOrNonFiniteGuidance() {
        assertThrows(InvalidArgumentException.class, () -> ClassifierFreeGuidance.check(-0.5));
        assertThrows(InvalidArgumentException.class, () -> ClassifierFreeGuidance.check(Double.NaN));
        assertThrows(InvalidArgumentException.class, () -> ClassifierFreeGuidance.check(Double.POSITIVE_INFINITY));
    }
}
