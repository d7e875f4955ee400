package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.NoiseSchedule;

/**
 * Algorithm 2 of the DDPM paper: for t = T..1,
 * x_{t-1} = 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alphaBar_t) eps_theta(x_t, t)) + sigma_t z,
 * z ~ N(0, I) for t > 1 and z = 0 at the last step. {@link #respaced} runs the same algorithm on
 * S of the T steps (Nichol &amp; Dhariwal 2021; sampling.md, "Respaced DDPM").
 */
public final class DdpmSampler implements Sampler {
    /**
     * sigma_t^2: betaTilde_t (the posterior variance, "fixed small") or beta_t ("fixed large").
     * Spelled {@code beta-tilde} and {@code beta} as text.
     */
    public enum Variance {
        BETA_TILDE,
        BETA;

        @Override
        public String toString() {
            return this == BETA_TILDE ? "beta-tilde" : "beta";
        }
    }

    private final NoiseSchedule original;
    private final NoiseSchedule schedule;
    // The network's step for each step i = 1..S of the schedule (index i - 1); 1..T unless respaced.
    private final int[] networkStep;
    private final Variance variance;
    private final boolean clipX0;

    /**
     * @param clipX0 clip x0Hat to [-1, 1] at every step and take the mean in its x_0 form, as the
     *     reference code does for images; this keeps early, noisy predictions inside the data
     *     range (cleaner images) but is wrong for data that are not bounded by [-1, 1]
     */
    public DdpmSampler(NoiseSchedule schedule, Variance variance, boolean clipX0) {
        this(schedule, schedule, identity(schedule.steps()), variance, clipX0);
    }

    private DdpmSampler(NoiseSchedule original, NoiseSchedule schedule, int[] networkStep, Variance variance, boolean clipX0) {
        this.original = original;
        this.schedule = schedule;
        this.networkStep = networkStep;
        this.variance = variance;
        this.clipX0 = clipX0;
    }

    /**
     * Algorithm 2 on the kept steps t_1 &lt; ... &lt; t_S only: over the respaced schedule
     * ({@link NoiseSchedule#respaced}, beta_i = 1 - alphaBar_{t_i} / alphaBar_{t_{i-1}}), with the
     * network called at the original t_i. S network calls; all T steps give the plain sampler.
     */
    public static DdpmSampler respaced(NoiseSchedule schedule, int[] kept, Variance variance, boolean clipX0) {
        int[] steps = DpmSolverSampler.checkedSteps(schedule, kept);
        return new DdpmSampler(schedule, schedule.respaced(steps), steps, variance, clipX0);
    }

    private static int[] identity(int steps) {
        int[] t = new int[steps];
        for (int i = 0; i < steps; i++) {
            t[i] = i + 1;
        }
        return t;
    }

    /** The network's steps, ascending (1..T unless respaced). */
    public int[] timesteps() {
        return networkStep.clone();
    }

    @Override
    public NoiseSchedule schedule() {
        return original;
    }

    @Override
    public int networkCalls() {
        return schedule.steps();
    }

    @Override
    public NDArray denoise(Denoiser model, NDArray xT, Noise noise, StepListener listener) {
        NDArray x = xT;
        int steps = schedule.steps();
        for (int k = steps; k >= 1; k--) {
            final int t = k;
            x = Sampler.scoped(x, xT, (xt, sub) -> {
                NDArray tt = sub.full(new Shape(xt.getShape().get(0)), networkStep[t - 1], DataType.INT32);
                NDArray eps = model.predictEps(xt, tt, false);
                double ab = schedule.alphaBar(t);
                NDArray x0Hat = xt.sub(eps.mul(Math.sqrt(1 - ab))).div(Math.sqrt(ab));
                NDArray mean;
                if (clipX0) {
                    x0Hat = x0Hat.clip(-1, 1);
                    // muTilde in its x_0 form with the clipped prediction.
                    mean = x0Hat.mul(schedule.posteriorMeanCoefX0(t))
                            .add(xt.mul(schedule.posteriorMeanCoefXt(t)));
                } else {
                    // mu_theta = 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alphaBar_t) eps)
                    mean = xt.sub(eps.mul(schedule.epsCoef(t))).div(Math.sqrt(schedule.alpha(t)));
                }
                listener.onStep(steps - t, steps, networkStep[t - 1], xt, x0Hat);
                if (t == 1) {
                    return mean; // z = 0 at the last step
                }
                double sigma2 = variance == Variance.BETA ? schedule.beta(t) : schedule.betaTilde(t);
                return mean.add(noise.normal(steps - t + 1, xt.getShape(), sub).mul(Math.sqrt(sigma2)));
            });
        }
        return x;
    }
}
