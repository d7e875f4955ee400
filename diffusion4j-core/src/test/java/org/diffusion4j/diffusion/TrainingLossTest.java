package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.junit.jupiter.api.Test;

/**
 * Algorithm 1's loss on a known input, recomputed in doubles from the schedule: the network sees
 * x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps with the alphaBar of the very t it is given,
 * t covers 1..T uniformly, and the loss is the mean (weighted per row for min-SNR-gamma) of the
 * squared or absolute difference to the target of the prediction type. The noise is the one
 * PyTorch's generator draws after t (the documented order), drawn again here from the same seed.
 */
class TrainingLossTest {
    static final int T = 10;
    static final int B = 64;
    static final int D = 3;
    // A short, steep schedule: alphaBar changes by 5-40% from one t to the next, so using the
    // alphaBar of t - 1 or t + 1 would change the loss far beyond the tolerance.
    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(T, 0.05, 0.4);

    /** A network with a known output: 0.5 x_t + 0.01 t, recording what it was given. */
    static final class Known implements Denoiser {
        float[] xt;
        int[] t;

        @Override
        public NDArray predictEps(NDArray x, NDArray steps, boolean training) {
            xt = x.toFloatArray();
            t = steps.toIntArray();
            return x.mul(0.5f).add(steps.toType(DataType.FLOAT32, false).mul(0.01f).reshape(new Shape(-1, 1)));
        }
    }

    private static double expectedLoss(Prediction p, double gamma, LossType type, float[] x0, float[] eps, int[] t, float[] xtSeen) {
        double total = 0;
        for (int i = 0; i < B; i++) {
            double ab = SCHEDULE.alphaBar(t[i]);
            double a = Math.sqrt(ab);
            double s = Math.sqrt(1 - ab);
            double row = 0;
            for (int j = 0; j < D; j++) {
                int k = i * D + j;
                double xt = a * x0[k] + s * eps[k];
                assertEquals(xt, xtSeen[k], 1e-5, "x_t of row " + i + " (t = " + t[i] + ")");
                double target = p == Prediction.EPS ? eps[k] : p == Prediction.X0 ? x0[k] : a * eps[k] - s * x0[k];
                double diff = 0.5 * xt + 0.01 * t[i] - target;
                row += type == LossType.L1 ? Math.abs(diff) : diff * diff;
            }
            double snr = ab / (1 - ab);
            double w = gamma == 0 ? 1
                    : p == Prediction.EPS ? Math.min(snr, gamma) / snr
                    : p == Prediction.X0 ? Math.min(snr, gamma) : Math.min(snr, gamma) / (snr + 1);
            total += w * row / D;
        }
        return total / B;
    }

    private static void check(Prediction p, double gamma, LossType type) {
        Runtime.init();
        try (NDManager m = Runtime.newManager(); GaussianDiffusion d = new GaussianDiffusion(SCHEDULE, m)) {
            Random r = new Random(5);
            float[] x0 = new float[B * D];
            for (int i = 0; i < x0.length; i++) {
                x0[i] = (float) (2 * r.nextDouble() - 1);
            }
            Known net = new Known();
            Runtime.seed(42);
            float loss = d.trainingLoss(net, m.create(x0, new Shape(B, D)), type, new Objective(p, gamma)).getFloat();
            Runtime.seed(42);
            int[] t = m.randomInteger(1, T + 1, new Shape(B), DataType.INT32).toIntArray();
            float[] eps = m.randomNormal(new Shape(B, D), DataType.FLOAT32).toFloatArray();
            assertArrayEquals(t, net.t, "the network is given the t drawn");
            double want = expectedLoss(p, gamma, type, x0, eps, net.t, net.xt);
            assertEquals(want, loss, 1e-5 * Math.abs(want), p + " gamma " + gamma + " " + type);
        }
    }

    @Test
    void epsLossIsThePapersLoss() {
        check(Prediction.EPS, 0, LossType.L2);
        check(Prediction.EPS, 0, LossType.L1);
    }

    @Test
    void x0AndVLossesUseTheirTargets() {
        check(Prediction.X0, 0, LossType.L2);
        check(Prediction.V, 0, LossType.L2);
    }

    @Test
    void minSnrWeightingWeighsEachRowByItsT() {
        check(Prediction.EPS, 1, LossType.L2);
        check(Prediction.X0, 1, LossType.L2);
        check(Prediction.V, 1, LossType.L1);
    }

    /** The old entry point is eps-prediction, unweighted, to the bit. */
    @Test
    void defaultObjectiveGivesTheSameNumberAsBefore() {
        Runtime.init();
        try (NDManager m = Runtime.newManager(); GaussianDiffusion d = new GaussianDiffusion(SCHEDULE, m)) {
            NDArray x0 = m.randomUniform(-1, 1, new Shape(B, D));
            Runtime.seed(9);
            float a = d.trainingLoss(new Known(), x0, LossType.L2).getFloat();
            Runtime.seed(9);
            float b = d.trainingLoss(new Known(), x0, LossType.L2, Objective.EPS).getFloat();
            assertEquals(a, b, 0);
        }
    }

    /** t ~ U{1..T}: 20,000 draws hit every step, none outside, each within 5 sigma of 2,000. */
    @Test
    void stepsAreUniformOverOneToT() {
        Runtime.init();
        int n = 20_000;
        try (NDManager m = Runtime.newManager(); GaussianDiffusion d = new GaussianDiffusion(SCHEDULE, m)) {
            Known net = new Known();
            Runtime.seed(1);
            d.trainingLoss(net, m.zeros(new Shape(n, 1)), LossType.L2);
            int[] count = new int[T + 2];
            for (int t : net.t) {
                assertTrue(t >= 1 && t <= T, "t " + t + " outside 1.." + T);
                count[t]++;
            }
            double sd = Math.sqrt(n * (1.0 / T) * (1 - 1.0 / T));
            for (int t = 1; t <= T; t++) {
                assertEquals(n / (double) T, count[t], 5 * sd, "draws of t = " + t);
            }
        }
    }
}
