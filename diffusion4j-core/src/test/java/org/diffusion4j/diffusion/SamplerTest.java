package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.Runtime;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** Samplers driven by the exact noise predictor of Gaussian data must return that Gaussian. */
class SamplerTest {
    private static final double M = 0.3;
    private static final double S = 0.5;
    private static final int ROWS = 20_000;
    private static final int DIM = 4;

    private final NoiseSchedule schedule = NoiseSchedule.ddpm();
    private final GaussianOracle oracle = new GaussianOracle(schedule, M, S);

    /** Sample mean and variance over all elements of ROWS x DIM samples. */
    private double[] sampleMoments(Sampler sampler, long seed) {
        Runtime.seed(seed);
        try (NDManager m = Runtime.newManager()) {
            NDArray x = sampler.sample(oracle, new Shape(ROWS, DIM), m, StepListener.NONE);
            double mean = x.mean().getFloat();
            return new double[] {mean, x.sub(mean).square().mean().getFloat()};
        }
    }

    /** Within 5 standard errors of the sample mean and sample variance of n draws of N(mu, v). */
    private static void assertMoments(double mu, double v, double[] got) {
        int n = ROWS * DIM;
        assertEquals(mu, got[0], 5 * Math.sqrt(v / n), "mean");
        assertEquals(v, got[1], 5 * v * Math.sqrt(2.0 / n), "variance");
    }

    private void assertGaussian(Sampler sampler, long seed) {
        assertMoments(M, S * S, sampleMoments(sampler, seed));
    }

    /**
     * Independent computation: with the exact predictor every sampler step is affine in x plus
     * Gaussian noise, so the output law N(mu, v) follows by propagating mean and variance in
     * doubles from x_T ~ N(0, 1) along the given steps (prev = 0 at the end).
     */
    private double[] propagateDdim(int[] tau, double eta) {
        double mu = 0, v = 1;
        for (int i = tau.length - 1; i >= 0; i--) {
            double ab = schedule.alphaBar(tau[i]);
            double abPrev = i > 0 ? schedule.alphaBar(tau[i - 1]) : 1.0;
            double k = Math.sqrt(1 - ab) / (ab * S * S + 1 - ab); // eps = k x - k sqrt(ab) m
            double x0a = (1 - Math.sqrt(1 - ab) * k) / Math.sqrt(ab);
            double x0b = Math.sqrt(1 - ab) * k * M; // x0Hat = x0a x + x0b
            // Capped where eta > 1 would leave 1 - abPrev - sigma^2 < 0.
            double sigma = Math.min(eta * Math.sqrt((1 - abPrev) / (1 - ab) * (1 - ab / abPrev)),
                    Math.sqrt(1 - abPrev));
            double c = Math.sqrt(1 - abPrev - sigma * sigma);
            double a = Math.sqrt(abPrev) * x0a + c * k;
            double b = Math.sqrt(abPrev) * x0b - c * k * Math.sqrt(ab) * M;
            mu = a * mu + b;
            v = a * a * v + sigma * sigma;
        }
        return new double[] {mu, v};
    }

    @Test
    void ddpmWithPosteriorVarianceRecoversTheData() {
        assertGaussian(new DdpmSampler(schedule, DdpmSampler.Variance.BETA_TILDE, false), 11);
    }

    @Test
    void ddpmWithBetaVarianceRecoversTheData() {
        assertGaussian(new DdpmSampler(schedule, DdpmSampler.Variance.BETA, false), 12);
    }

    /**
     * DDIM with 50 deterministic steps: the mean is m, and the variance is that of the exact
     * 50-step map (computed independently), which sits 11% below s^2 = 0.25 for this data: the
     * known discretisation error of the probability-flow ODE with large steps, not sampling noise.
     */
    @Test
    void ddim50StepsDeterministicMatchesExactLawAndData() {
        DdimSampler ddim = new DdimSampler(schedule, 50, 0.0, false);
        double[] exact = propagateDdim(ddim.timesteps(), 0.0);
        assertEquals(M, exact[0], 0.01 * M);
        assertEquals(0.2232, exact[1], 1e-4);
        double[] got = sampleMoments(ddim, 13);
        assertMoments(exact[0], exact[1], got);
        assertEquals(S * S, got[1], 0.12 * S * S);
    }

    @Test
    void ddimEveryStepIsCloseToTheData() {
        // With all T steps the ODE discretisation error is below 1% here.
        DdimSampler ddim = new DdimSampler(schedule, 1000, 0.0, false);
        double[] exact = propagateDdim(ddim.timesteps(), 0.0);
        assertEquals(S * S, exact[1], 0.01 * S * S);
        assertMoments(exact[0], exact[1], sampleMoments(ddim, 15));
    }

    @Test
    void ddim50StepsStochasticMatchesExactLaw() {
        DdimSampler ddim = new DdimSampler(schedule, 50, 1.0, false);
        double[] exact = propagateDdim(ddim.timesteps(), 1.0);
        assertMoments(exact[0], exact[1], sampleMoments(ddim, 14));
    }

    /** Above eta = 1 the cap on sigma binds at the coarse steps; the law is still the exact one. */
    @Test
    void ddim50StepsWithEtaAboveOneMatchesExactLaw() {
        DdimSampler ddim = new DdimSampler(schedule, 50, 1.5, false);
        int[] tau = ddim.timesteps();
        int capped = 0;
        for (int i = 1; i < tau.length; i++) {
            double ab = schedule.alphaBar(tau[i]);
            double abPrev = schedule.alphaBar(tau[i - 1]);
            double sigma = DdimSampler.sigma(1.5, ab, abPrev);
            assertTrue(sigma * sigma <= 1 - abPrev + 1e-15, "sigma within the DDIM family at t=" + tau[i]);
            if (sigma < 1.5 * DdimSampler.sigma(1.0, ab, abPrev) - 1e-12) {
                capped++;
            }
        }
        assertTrue(capped > 0 && capped < tau.length - 1, "the cap binds at some steps only: " + capped);
        double[] exact = propagateDdim(tau, 1.5);
        assertMoments(exact[0], exact[1], sampleMoments(ddim, 16));
    }

    /**
     * With an eta so large that sigma = sqrt(1 - alphaBar_prev) at every step, each step draws
     * x_prev ~ N(sqrt(alphaBar_prev) x0Hat, 1 - alphaBar_prev) and the last one returns x0Hat
     * of the step at tau_1 = 1 exactly. With the exact predictor that is a closed form: x0Hat is
     * the posterior mean E[x_0 | x_t], and x_t ~ N(sqrt(ab) m, ab s^2 + 1 - ab) whenever the
     * previous step's x0Hat has law N(m, v): an independent check of the capped branch.
     */
    @Test
    void ddimWithFullRenoisingMatchesTheClosedForm() {
        DdimSampler ddim = new DdimSampler(schedule, 50, 1e6, false);
        int[] tau = ddim.timesteps();
        // x0Hat(x_t) = m + ab^(1/2) s^2 / (ab s^2 + 1 - ab) (x_t - sqrt(ab) m): a linear shrinkage.
        double mu = 0, v = 1; // the law of x0Hat after the latest step (of x_T before the first)
        for (int i = tau.length - 1; i >= 0; i--) {
            double ab = schedule.alphaBar(tau[i]);
            boolean first = i == tau.length - 1;
            double meanXt = first ? 0.0 : Math.sqrt(ab) * mu;
            double varXt = first ? 1.0 : ab * v + 1 - ab;
            double gain = Math.sqrt(ab) * S * S / (ab * S * S + 1 - ab);
            mu = M + gain * (meanXt - Math.sqrt(ab) * M);
            v = gain * gain * varXt;
        }
        assertMoments(mu, v, sampleMoments(ddim, 17));
        assertTrue(v < S * S, "x0Hat shrinks towards m: v = " + v);
    }

    @Test
    void ddimWithEtaZeroIsDeterministicGivenXT() {
        DdimSampler ddim = new DdimSampler(schedule, 20, 0.0, false);
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(5);
            NDArray xT = m.randomNormal(new Shape(8, DIM));
            float[] a = ddim.denoise(oracle, xT, StepListener.NONE).toFloatArray();
            Runtime.seed(999); // a different generator state must not matter
            float[] b = ddim.denoise(oracle, xT, StepListener.NONE).toFloatArray();
            assertArrayEquals(a, b);
        }
    }

    @Test
    void samplingLeavesNoArraysBehind() {
        // Every temporary of a step lives in a scope that closes: after 1000 DDPM steps the
        // caller's manager holds x_T and the result only (plus the model's nothing).
        DdpmSampler ddpm = new DdpmSampler(schedule, DdpmSampler.Variance.BETA, true);
        DdimSampler ddim = new DdimSampler(schedule, 50, 1.0, true);
        try (NDManager m = Runtime.newManager()) {
            NDArray xT = m.randomNormal(new Shape(4, DIM));
            NDArray a = ddpm.denoise(oracle, xT, StepListener.NONE);
            NDArray b = ddim.denoise(oracle, xT, StepListener.NONE);
            assertEquals(3, m.getManagedArrays().size(), "arrays left: " + m.getManagedArrays().size());
            a.close();
            b.close();
        }
    }

    @Test
    void sameSeedSameSamples() {
        DdpmSampler ddpm = new DdpmSampler(NoiseSchedule.linear(50, 1e-3, 0.2),
                DdpmSampler.Variance.BETA_TILDE, true);
        float[][] out = new float[2][];
        for (int r = 0; r < 2; r++) {
            Runtime.seed(42);
            try (NDManager m = Runtime.newManager()) {
                out[r] = ddpm.sample(oracle, new Shape(4, 3), m, StepListener.NONE).toFloatArray();
            }
        }
        assertArrayEquals(out[0], out[1]);
    }

    @Test
    void listenerSeesEveryStepAndDdimTimestepsAreEven() {
        DdimSampler ddim = new DdimSampler(schedule, 50, 0.0, false);
        int[] tau = ddim.timesteps();
        assertEquals(1, tau[0]);
        assertEquals(981, tau[49]);
        assertEquals(20, tau[1] - tau[0]);
        int[] calls = new int[1];
        try (NDManager m = Runtime.newManager()) {
            ddim.sample(oracle, new Shape(2, 2), m, (i, count, t, xt, x0) -> {
                assertEquals(tau[49 - i], t);
                assertEquals(50, count);
                calls[0]++;
            });
        }
        assertEquals(50, calls[0]);
        assertThrows(IllegalArgumentException.class, () -> new DdimSampler(schedule, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new DdimSampler(schedule, 10, -0.1, false));
        assertThrows(IllegalArgumentException.class, () -> new DdimSampler(schedule, 10, Double.NaN, false));
    }
}
