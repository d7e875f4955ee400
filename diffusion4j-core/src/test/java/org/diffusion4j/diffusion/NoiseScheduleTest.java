package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

class NoiseScheduleTest {
    private final NoiseSchedule s = NoiseSchedule.ddpm();

    @Test
    void linearEndpointsAndSpacing() {
        assertEquals(1e-4, s.beta(1), 1e-18);
        assertEquals(0.02, s.beta(1000), 1e-18);
        // Independent: numpy.linspace(1e-4, 0.02, 1000)[499]
        assertEquals(1e-4 + (0.02 - 1e-4) * 499 / 999, s.beta(500), 1e-15);
    }

    @Test
    void alphaBarIsAProductComputedIndependently() {
        // Independent computation in high-precision decimal arithmetic.
        MathContext mc = MathContext.DECIMAL128;
        BigDecimal prod = BigDecimal.ONE;
        for (int t = 1; t <= 1000; t++) {
            BigDecimal beta = new BigDecimal("0.0001").add(new BigDecimal("0.0199")
                    .multiply(BigDecimal.valueOf(t - 1)).divide(BigDecimal.valueOf(999), mc), mc);
            prod = prod.multiply(BigDecimal.ONE.subtract(beta), mc);
            if (t == 1 || t == 10 || t == 500 || t == 1000) {
                assertEquals(prod.doubleValue(), s.alphaBar(t), prod.doubleValue() * 1e-12);
            }
        }
        assertEquals(1.0, s.alphaBar(0));
    }

    @Test
    void alphaBarAtTIsAbout4e5() {
        assertEquals(4.04e-5, s.alphaBar(1000), 0.01e-5);
        // The notes' schedule: T = 2000 drives alphaBar_T essentially to zero.
        assertTrue(NoiseSchedule.linear(2000, 1e-4, 0.02).alphaBar(2000) < 1e-8);
    }

    @Test
    void betaTildeOneIsZeroAndBelowBeta() {
        assertEquals(0.0, s.betaTilde(1));
        for (int t = 2; t <= 1000; t++) {
            assertTrue(s.betaTilde(t) > 0 && s.betaTilde(t) <= s.beta(t));
        }
        // Spot value by hand: t = 2.
        double ab1 = 1 - 1e-4, b2 = 1e-4 + 0.0199 / 999, ab2 = ab1 * (1 - b2);
        assertEquals((1 - ab1) / (1 - ab2) * b2, s.betaTilde(2), 1e-18);
    }

    @Test
    void posteriorCoefficientsMatchDefinitions() {
        int t = 321;
        double ab = s.alphaBar(t), abp = s.alphaBar(t - 1), b = s.beta(t), a = 1 - b;
        assertEquals(Math.sqrt(abp) * b / (1 - ab), s.posteriorMeanCoefX0(t), 1e-15);
        assertEquals(Math.sqrt(a) * (1 - abp) / (1 - ab), s.posteriorMeanCoefXt(t), 1e-15);
        // The two forms of muTilde agree for any (x0, eps): scalar check.
        double x0 = 0.7, eps = -1.3, xt = Math.sqrt(ab) * x0 + Math.sqrt(1 - ab) * eps;
        double muX0 = s.posteriorMeanCoefX0(t) * x0 + s.posteriorMeanCoefXt(t) * xt;
        double muEps = (xt - b / Math.sqrt(1 - ab) * eps) / Math.sqrt(a);
        assertEquals(muX0, muEps, 1e-12);
    }

    @Test
    void cosineScheduleIsMonotoneAndEndsNearZero() {
        NoiseSchedule c = NoiseSchedule.cosine(1000);
        for (int t = 1; t < 1000; t++) {
            assertTrue(c.alphaBar(t + 1) < c.alphaBar(t));
        }
        assertTrue(c.alphaBar(1000) < 1e-4);
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        double f500 = Math.pow(Math.cos((0.5 + 0.008) / 1.008 * Math.PI / 2), 2);
        assertEquals(f500 / f0, c.alphaBar(500), 1e-12);
    }

    @Test
    void outOfRangeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> s.beta(0));
        assertThrows(IllegalArgumentException.class, () -> s.alphaBar(1001));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.linear(0, 1e-4, 0.02));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.linear(10, 0.5, 0.1));
    }

    @Test
    void csvHasHeaderAndOneRowPerStep() {
        String[] lines = NoiseSchedule.linear(5, 0.1, 0.2).toCsv().split("\n");
        assertEquals(6, lines.length);
        assertTrue(lines[0].startsWith("t,beta,alpha,alphaBar,alphaBarPrev,betaTilde"));
        assertTrue(lines[1].startsWith("1,0.1,0.9,0.9,1.0,0.0"));
    }
}
