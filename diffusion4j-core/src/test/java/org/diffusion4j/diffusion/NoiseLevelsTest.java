package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.diffusion4j.ddpm.DdpmSpec;
import org.junit.jupiter.api.Test;

/**
 * The distributions of t in Algorithm 1 (Karras et al. 2022's log-normal noise levels): the
 * probabilities against a numerical integral of the normal density, their moments against the
 * log-normal's, Monte-Carlo draws against the probabilities, and the uniform case drawing exactly
 * as Algorithm 1 always has.
 */
class NoiseLevelsTest {
    /** The mass of N(mean, std^2) on [lo, hi] by Simpson's rule on the density (no erf involved). */
    private static double normalMass(double lo, double hi, double mean, double std) {
        lo = Math.max(lo, mean - 12 * std);
        hi = Math.min(hi, mean + 12 * std);
        if (hi <= lo) {
            return 0;
        }
        int n = 2000;
        double h = (hi - lo) / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double x = lo + i * h;
            double f = Math.exp(-0.5 * Math.pow((x - mean) / std, 2)) / (std * Math.sqrt(2 * Math.PI));
            sum += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3;
    }

    @Test
    void logNormalProbabilitiesAreTheMassOfEachStepsCell() {
        NoiseSchedule s = NoiseSchedule.ddpm();
        NoiseLevels levels = NoiseLevels.EDM;
        double[] p = levels.probabilities(s);
        double total = 0;
        for (int t = 1; t <= s.steps(); t++) {
            double lnSigma = Math.log(NoiseLevels.sigma(s, t));
            double lo = t == 1 ? Double.NEGATIVE_INFINITY : (Math.log(NoiseLevels.sigma(s, t - 1)) + lnSigma) / 2;
            double hi = t == s.steps() ? Double.POSITIVE_INFINITY : (Math.log(NoiseLevels.sigma(s, t + 1)) + lnSigma) / 2;
            assertEquals(normalMass(lo, hi, -1.2, 1.2), p[t], 1e-9, "t = " + t);
            total += p[t];
        }
        assertEquals(0, p[0]);
        assertEquals(1, total, 1e-12);
        // the linear schedule's sigma runs from 0.01 to 157: nearly all of N(-1.2, 1.2^2) falls inside,
        // and the half of the steps with sigma > 3.4 (t > 500) get about 2% of the draws, not half
        double late = 0;
        for (int t = 501; t <= s.steps(); t++) {
            late += p[t];
        }
        assertTrue(late > 0.01 && late < 0.04, "P(t > 500) = " + late);
    }

    @Test
    void onAFineScheduleTheMomentsOfLnSigmaAreTheLogNormals() {
        NoiseSchedule s = NoiseSchedule.linear(4000, 2.5e-5, 0.005); // the DDPM schedule refined 4x: fine steps in ln sigma
        NoiseLevels levels = NoiseLevels.logNormal(-0.5, 0.8);
        double[] p = levels.probabilities(s);
        double mean = 0;
        double sq = 0;
        for (int t = 1; t <= s.steps(); t++) {
            double l = Math.log(NoiseLevels.sigma(s, t));
            mean += p[t] * l;
            sq += p[t] * l * l;
        }
        assertEquals(-0.5, mean, 0.01);
        assertEquals(0.8, Math.sqrt(sq - mean * mean), 0.01);
    }

    @Test
    void drawsFollowTheProbabilities() {
        Runtime.init();
        NoiseSchedule s = NoiseSchedule.ddpm();
        double[] p = NoiseLevels.EDM.probabilities(s);
        int n = 40_000;
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(7);
            NDArray t = NoiseLevels.EDM.sample(s, m, n);
            assertEquals(DataType.INT32, t.getDataType());
            assertEquals(new Shape(n), t.getShape());
            int[] draws = t.toIntArray();
            // ten bins of 100 steps: the count of each within 5 standard errors of n P(bin)
            long[] count = new long[10];
            for (int v : draws) {
                assertTrue(v >= 1 && v <= 1000, "t = " + v);
                count[(v - 1) / 100]++;
            }
            for (int b = 0; b < 10; b++) {
                double q = 0;
                for (int k = b * 100 + 1; k <= b * 100 + 100; k++) {
                    q += p[k];
                }
                double se = Math.sqrt(n * q * (1 - q)) + 1;
                assertEquals(n * q, count[b], 5 * se, "bin " + b);
            }
        }
    }

    @Test
    void uniformDrawsAsAlgorithmOneAlwaysHas() {
        Runtime.init();
        NoiseSchedule s = NoiseSchedule.ddpm();
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(3);
            int[] before = m.randomInteger(1, s.steps() + 1, new Shape(64), DataType.INT32).toIntArray();
            Runtime.seed(3);
            assertArrayEquals(before, NoiseLevels.UNIFORM.sample(s, m, 64).toIntArray());
        }
        double[] p = NoiseLevels.UNIFORM.probabilities(s);
        assertEquals(1e-3, p[1]);
        assertEquals(1e-3, p[1000]);
    }

    @Test
    void storedWithTheModelAndReadBack() {
        Objective o = new Objective(Prediction.V, 0).withNoiseLevels(NoiseLevels.EDM);
        DdpmSpec spec = DdpmSpec.mlp(org.diffusion4j.ddpm.net.MlpDenoiser.Config.toy(2), NoiseSchedule.linear(100, 1e-3, 0.2),
                GaussianDiffusion.LossType.L2).withObjective(o);
        DdpmSpec back = DdpmSpec.fromJson(spec.toJson());
        assertEquals(o, back.objective());
        // a description without the field (every model made before it) is uniform
        DdpmSpec plain = DdpmSpec.fromJson(spec.withObjective(new Objective(Prediction.V, 0)).toJson());
        assertTrue(plain.objective().noiseLevels().isUniform());
        assertTrue(o.toString().contains("log-normal"), o.toString());
    }

    @Test
    void badParametersAreRefused() {
        assertThrows(InvalidArgumentException.class, () -> NoiseLevels.logNormal(0, 0));
        assertThrows(InvalidArgumentException.class, () -> new NoiseLevels(0, -1));
        assertThrows(InvalidArgumentException.class, () -> new NoiseLevels(Double.NaN, 1));
    }
}
