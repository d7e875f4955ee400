package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.data.Toy2D;
import org.junit.jupiter.api.Test;

class PointDistancesTest {
    @Test
    void energyOfASmallCaseByHand() {
        // X = {(0,0), (1,0)}, Y = {(0,3)}:
        // mean |x - y| = (3 + sqrt(10)) / 2; mean |x - x'| = (0 + 1 + 1 + 0) / 4 = 0.5; mean |y - y'| = 0.
        float[] x = {0, 0, 1, 0};
        float[] y = {0, 3};
        double expected = (3 + Math.sqrt(10)) - 0.5;
        assertEquals(expected, PointDistances.energy(x, y, 2), 1e-12);
        assertEquals(expected, PointDistances.energy(y, x, 2), 1e-12);
        // One point each: E = 2 |x - y|.
        assertEquals(10, PointDistances.energy(new float[] {0, 0}, new float[] {3, 4}, 2), 1e-12);
    }

    @Test
    void mmdOfASmallCaseByHand() {
        // X = {0}, Y = {1} in 1-D, sigma = 1: MMD^2 = 1 + 1 - 2 exp(-1/2).
        assertEquals(2 - 2 * Math.exp(-0.5), PointDistances.mmd2(new float[] {0}, new float[] {1}, 1, 1), 1e-12);
    }

    @Test
    void identicalSetsAreAtZeroAndShiftsAreFar() {
        float[] a = Toy2D.moons(500, 1).data();
        float[] b = Toy2D.moons(500, 2).data();
        assertEquals(0, PointDistances.energy(a, a, 2), 1e-12);
        assertEquals(0, PointDistances.mmd2(a, a, 2, 0.5), 1e-12);
        double floor = PointDistances.energy(a, b, 2);
        float[] shifted = b.clone();
        for (int i = 0; i < shifted.length; i += 2) {
            shifted[i] += 1;
        }
        double far = PointDistances.energy(a, shifted, 2);
        assertTrue(floor > 0 && floor < 0.02, "two samples of 500 moons points: " + floor);
        assertTrue(far > 20 * floor, "shifted by 1: " + far + ", floor " + floor);
        assertTrue(PointDistances.mmd2(a, shifted, 2, 0.5) > 20 * PointDistances.mmd2(a, b, 2, 0.5));
    }
}
