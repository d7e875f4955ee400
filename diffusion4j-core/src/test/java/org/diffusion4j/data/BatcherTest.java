package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;

class BatcherTest {
    static DataSet images(int n) {
        float[] d = new float[n * 4];
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                d[i * 4 + k] = (i % 11) / 10f;
            }
            l[i] = i % 3;
        }
        return new DataSet("t", d, n, new long[] {1, 2, 2}, l, 3);
    }

    @Test
    void orderIsAPureFunctionOfSeedAndStep() {
        DataSet ds = images(103);
        Batcher a = Batcher.builder(ds).batchSize(10).seed(42).dropLast(false).build();
        Batcher b = Batcher.builder(ds).batchSize(10).seed(42).dropLast(false).build();
        Batcher c = Batcher.builder(ds).batchSize(10).seed(43).dropLast(false).build();
        assertEquals(11, a.stepsPerEpoch());
        // b visits steps in another order (as a resumed run would): same result
        for (long s = 40; s >= 0; s--) {
            assertArrayEquals(a.indicesForStep(s), b.indicesForStep(s));
        }
        assertFalse(Arrays.equals(a.permutation(0), c.permutation(0)));
        assertFalse(Arrays.equals(a.permutation(0), a.permutation(1)));
        for (long epoch = 0; epoch < 3; epoch++) {
            int[] seen = new int[103];
            for (long s = a.firstStepOfEpoch(epoch); s < a.firstStepOfEpoch(epoch + 1); s++) {
                for (int i : a.indicesForStep(s)) {
                    seen[i]++;
                }
            }
            for (int k : seen) {
                assertEquals(1, k);
            }
        }
        assertEquals(3, a.indicesForStep(10).length);
        assertEquals(1, a.epochOf(11));
        assertEquals(0, a.indexInEpoch(11));
        Batcher drop = Batcher.builder(ds).batchSize(10).seed(42).build();
        assertEquals(10, drop.stepsPerEpoch());
        assertThrows(UserException.class, () -> Batcher.builder(ds).batchSize(200).build());
    }

    @Test
    void scalingBinarisationLabelsAndNDArray() {
        DataSet ds = images(50);
        Batcher keep = Batcher.builder(ds).batchSize(8).seed(1).build();
        Batcher sym = Batcher.builder(ds).batchSize(8).seed(1).scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
        Batcher.Batch k = keep.batch(5);
        Batcher.Batch s = sym.batch(5);
        assertArrayEquals(k.indices(), s.indices());
        for (int i = 0; i < k.x().length; i++) {
            assertEquals(k.x()[i] * 2 - 1, s.x()[i], 1e-6);
            assertEquals(ds.data()[k.indices()[i / 4] * 4 + i % 4], k.x()[i]);
        }
        for (int j = 0; j < 8; j++) {
            assertEquals(ds.label(k.indices()[j]), k.labels()[j]);
        }
        assertArrayEquals(k.x(), Batcher.unscale(s.x().clone(), Batcher.Scaling.MINUS_ONE_TO_ONE), 1e-6f);

        Batcher bin = Batcher.builder(ds).batchSize(8).seed(1).binarize(true).build();
        float[] b1 = bin.batch(3).x();
        assertArrayEquals(b1, bin.batch(3).x());
        for (float v : b1) {
            assertTrue(v == 0f || v == 1f);
        }
        try (NDManager m = Runtime.newManager()) {
            NDArray x = s.toNDArray(m);
            assertArrayEquals(new long[] {8, 1, 2, 2}, x.getShape().getShape());
            assertArrayEquals(s.x(), x.toFloatArray());
            NDArray l = s.labelsNDArray(m);
            assertEquals(DataType.INT32, l.getDataType());
            assertArrayEquals(s.labels(), l.toIntArray());
        }
    }

    @Test
    void cursorWithPrefetchMatchesDirectBatches() {
        DataSet ds = images(40);
        Batcher b = Batcher.builder(ds).batchSize(6).seed(9).build();
        try (Batcher.Cursor c = b.cursor(4, true); Batcher.Cursor d = b.cursor(4, false)) {
            for (long s = 4; s < 20; s++) {
                Batcher.Batch x = c.next();
                assertEquals(s, x.step());
                assertArrayEquals(b.batch(s).x(), x.x());
                assertArrayEquals(x.indices(), d.next().indices());
            }
        }
    }
}
