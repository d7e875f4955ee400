package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

/** Label dropout: the rate by Monte Carlo, the kept labels untouched. */
class LabelDropoutTest {
    static final int N = 200_000;

    static int[] labels() {
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            y[i] = (i * 7) % 10;
        }
        return y;
    }

    static double droppedFraction(double p, long seed) {
        int[] y = labels();
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(seed);
            int[] out = LabelDropout.apply(m.create(y), p, 10).toIntArray();
            int dropped = 0;
            for (int i = 0; i < N; i++) {
                if (out[i] == 10) {
                    dropped++;
                } else {
                    assertEquals(y[i], out[i], "a kept label is unchanged");
                }
            }
            return dropped / (double) N;
        }
    }

    @Test
    void dropsEachLabelWithProbabilityP() {
        for (double p : new double[] {0.1, 0.35}) {
            double sd = Math.sqrt(p * (1 - p) / N); // binomial standard error, 0.00067 at p = 0.1
            double f = droppedFraction(p, 5);
            assertTrue(Math.abs(f - p) < 4 * sd, "dropped " + f + " of the labels, p = " + p + " (4 sd = " + 4 * sd + ")");
        }
    }

    @Test
    void zeroAndOneAreExact() {
        assertEquals(0.0, droppedFraction(0, 1));
        assertEquals(1.0, droppedFraction(1, 1));
    }

    @Test
    void sameSeedSameDrops() {
        int[] y = labels();
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(9);
            int[] a = LabelDropout.apply(m.create(y), 0.1, 10).toIntArray();
            Runtime.seed(9);
            int[] b = LabelDropout.apply(m.create(y), 0.1, 10).toIntArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
        }
    }

    @Test
    void rejectsAProbabilityOutsideZeroOne() {
        assertThrows(InvalidArgumentException.class, () -> LabelDropout.check(1.5));
        assertThrows(InvalidArgumentException.class, () -> LabelDropout.check(-0.1));
        assertThrows(InvalidArgumentException.class, () -> LabelDropout.check(Double.NaN));
    }
}
