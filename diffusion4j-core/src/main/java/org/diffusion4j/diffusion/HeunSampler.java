package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Heun's second-order method in the form of Karras et al. (2022), Algorithm 1 (deterministic),
 * on the schedule's own noise levels. With sigma_t = sqrt((1 - alphaBar_t) / alphaBar_t) and the
 * scaled state y = x_t / sqrt(alphaBar_t) = x_0 + sigma eps, the probability-flow ODE is
 * dy/dsigma = (y - D(y; sigma)) / sigma, D = x0Hat (sampling.md, "Heun"). A step from sigma_i to
 * sigma_{i-1}: an Euler step to y', then the average of the slopes at y and y'. The last step,
 * to sigma = 0, is an Euler step (the slope at sigma = 0 is not defined) and returns D. S steps
 * make exactly 2 S - 1 network calls.
 */
public final class HeunSampler implements Sampler {
    private final NoiseSchedule schedule;
    private final int[] tau;
    private final boolean clipX0;

    /**
     * @param timesteps the steps whose sigma_t are visited, ascending, distinct, in 1..T
     * @param clipX0 clip each D to [-1, 1] (images), the slope re-derived from it
     */
    public HeunSampler(NoiseSchedule schedule, int[] timesteps, boolean clipX0) {
        this.schedule = schedule;
        this.tau = DpmSolverSampler.checkedSteps(schedule, timesteps);
        this.clipX0 = clipX0;
    }

    /** S steps laid out by {@code spacing}. */
    public HeunSampler(NoiseSchedule schedule, int steps, Timesteps.Spacing spacing, boolean clipX0) {
        this(schedule, Timesteps.of(schedule, steps, spacing), clipX0);
    }

    /** The steps visited, ascending. */
    public int[] timesteps() {
        return tau.clone();
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    @Override
    public int networkCalls() {
        return 2 * tau.length - 1;
    }

    @Override
    public NDArray denoise(Denoiser model, NDArray xT, Noise noise, StepListener listener) {
        int[] call = {0};
        int calls = networkCalls();
        // y = x_T / sqrt(alphaBar) at the first step: x_T ~ N(0, I) stands for x_{t_S}.
        NDArray y = Sampler.scoped(xT, xT, (x, sub) -> x.div(Math.sqrt(schedule.alphaBar(tau[tau.length - 1]))));
        for (int k = tau.length - 1; k >= 0; k--) {
            final int i = k;
            y = Sampler.scoped(y, xT, (yi, sub) -> {
                double sigma = schedule.karrasSigma(tau[i]);
                double sigmaNext = i > 0 ? schedule.karrasSigma(tau[i - 1]) : 0.0;
                NDArray slope = slope(model, yi, tau[i], sub, listener, call, calls);
                NDArray euler = yi.add(slope.mul(sigmaNext - sigma));
                if (i == 0) {
                    return euler; // sigma = 0: y = D
                }
                NDArray slopeNext = slope(model, euler, tau[i - 1], sub, listener, call, calls);
                return yi.add(slope.add(slopeNext).mul(0.5 * (sigmaNext - sigma)));
            });
        }
        return y;
    }

    /** (y - D(y; sigma_t)) / sigma_t, from one network call at x_t = sqrt(alphaBar_t) y. */
    private NDArray slope(Denoiser model, NDArray y, int t, NDManager sub, StepListener listener, int[] call, int calls) {
        double ab = schedule.alphaBar(t);
        double sigma = schedule.karrasSigma(t);
        NDArray xt = y.mul(Math.sqrt(ab));
        NDArray tt = sub.full(new Shape(y.getShape().get(0)), t, DataType.INT32);
        NDArray eps = model.predictEps(xt, tt, false);
        NDArray d = y.sub(eps.mul(sigma)); // D = y - sigma eps = x0Hat
        if (clipX0) {
            d = d.clip(-1, 1);
            eps = y.sub(d).div(sigma);
        }
        listener.onStep(call[0]++, calls, t, xt, d);
        return eps;
    }
}
