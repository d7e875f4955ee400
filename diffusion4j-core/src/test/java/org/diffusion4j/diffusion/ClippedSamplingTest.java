package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

/**
 * The x0-clipping branch of both samplers against a computation in doubles: x0Hat =
 * (x_t - sqrt(1 - alphaBar_t) eps) / sqrt(alphaBar_t) clipped to [-1, 1], then DDPM's posterior
 * mean in its x_0 form, muTilde = sqrt(alphaBar_{t-1}) beta_t / (1 - alphaBar_t) x0Hat
 * + sqrt(alpha_t) (1 - alphaBar_{t-1}) / (1 - alphaBar_t) x_t, plus sigma_t z; and DDIM's
 * sqrt(alphaBar_prev) x0Hat + sqrt(1 - alphaBar_prev - sigma^2) eps' + sigma z with eps'
 * re-derived from the clipped x0Hat. A known network eps(x, t) = 0.1 x + 0.02 t pushes many
 * x0Hat outside [-1, 1] (the test checks that both branches of the clip are taken). The noise z
 * is drawn again from the same seed in the samplers' order (one draw per step that adds noise).
 */
class ClippedSamplingTest {
    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(10, 0.02, 0.3);
    static final float[] XT = {-3f, -1.5f, -0.4f, 0f, 0.3f, 0.9f, 1.7f, 2.8f};
    static final long SEED = 77;

    static final Denoiser KNOWN = (x, t, training) ->
            x.mul(0.1f).add(t.toType(DataType.FLOAT32, false).mul(0.02f).reshape(new Shape(-1, 1)));

    private static double eps(double x, int t) {
        return 0.1 * x + 0.02 * t;
    }

    /** One draw of N(0, I) per noisy step, in the samplers' order, from the same seed. */
    private static float[][] noise(int draws) {
        Runtime.seed(SEED);
        float[][] z = new float[draws][];
        try (NDManager m = Runtime.newManager()) {
            for (int i = 0; i < draws; i++) {
                z[i] = m.randomNormal(new Shape(2, 4), DataType.FLOAT32).toFloatArray();
            }
        }
        return z;
    }

    private static float[] run(Sampler s, int[] clippedCount) {
        Runtime.init();
        try (NDManager m = Runtime.newManager()) {
            NDArray xT = m.create(XT, new Shape(2, 4));
            Runtime.seed(SEED);
            return s.denoise(KNOWN, xT, (i, count, t, xt, x0Hat) -> {
                for (float v : x0Hat.toFloatArray()) {
                    clippedCount[Math.abs(v) >= 1f - 1e-7f ? 0 : 1]++;
                }
            }).toFloatArray();
        }
    }

    @Test
    void ddpmClippedStepsMatchTheDoubleComputation() {
        int steps = SCHEDULE.steps();
        float[][] z = noise(steps - 1);
        double[] x = new double[XT.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = XT[i];
        }
        for (int t = steps, draw = 0; t >= 1; t--) {
            double ab = SCHEDULE.alphaBar(t);
            double abPrev = SCHEDULE.alphaBar(t - 1);
            double beta = SCHEDULE.beta(t);
            double[] next = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double x0Hat = Math.max(-1, Math.min(1, (x[i] - Math.sqrt(1 - ab) * eps(x[i], t)) / Math.sqrt(ab)));
                double mean = Math.sqrt(abPrev) * beta / (1 - ab) * x0Hat + Math.sqrt(1 - beta) * (1 - abPrev) / (1 - ab) * x[i];
                double sigma2 = (1 - abPrev) / (1 - ab) * beta; // betaTilde_t
                next[i] = t > 1 ? mean + Math.sqrt(sigma2) * z[draw][i] : mean;
            }
            if (t > 1) {
                draw++;
            }
            x = next;
        }
        int[] clipped = new int[2];
        float[] got = run(new DdpmSampler(SCHEDULE, DdpmSampler.Variance.BETA_TILDE, true), clipped);
        assertTrue(clipped[0] > 0 && clipped[1] > 0, "both sides of the clip taken: " + clipped[0] + " clipped, " + clipped[1] + " not");
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], got[i], 1e-4, "sample " + i);
            assertTrue(Math.abs(got[i]) <= 1 + 1e-5, "the last step returns the clipped x0Hat: " + got[i]);
        }
    }

    private static double[] ddim(int s, double eta, float[][] z) {
        int[] tau = new DdimSampler(SCHEDULE, s, eta, true).timesteps();
        double[] x = new double[XT.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = XT[i];
        }
        int draw = 0;
        for (int k = tau.length - 1; k >= 0; k--) {
            int t = tau[k];
            double ab = SCHEDULE.alphaBar(t);
            double abPrev = k > 0 ? SCHEDULE.alphaBar(tau[k - 1]) : 1;
            double sigma = Math.min(eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev), Math.sqrt(1 - abPrev));
            for (int i = 0; i < x.length; i++) {
                double x0Hat = Math.max(-1, Math.min(1, (x[i] - Math.sqrt(1 - ab) * eps(x[i], t)) / Math.sqrt(ab)));
                double epsAgain = (x[i] - Math.sqrt(ab) * x0Hat) / Math.sqrt(1 - ab);
                x[i] = Math.sqrt(abPrev) * x0Hat + Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma)) * epsAgain
                        + (sigma > 0 ? sigma * z[draw][i] : 0);
            }
            if (sigma > 0) {
                draw++;
            }
        }
        return x;
    }

    @Test
    void ddimClippedStepsMatchTheDoubleComputation() {
        for (double eta : new double[] {0, 1}) {
            double[] want = ddim(4, eta, noise(4));
            int[] clipped = new int[2];
            float[] got = run(new DdimSampler(SCHEDULE, 4, eta, true), clipped);
            assertTrue(clipped[0] > 0 && clipped[1] > 0, "both sides of the clip taken");
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4, "eta " + eta + " sample " + i);
            }
        }
    }
}
