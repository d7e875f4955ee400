package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.NoiseSchedule;

/**
 * DDIM (Song, Meng &amp; Ermon 2021) on S evenly spaced steps tau_i = 1 + floor(i T / S):
 * x_prev = sqrt(alphaBar_prev) x0Hat + sqrt(1 - alphaBar_prev - sigma^2) eps + sigma z, with
 * sigma = eta sqrt((1 - alphaBar_prev) / (1 - alphaBar_t)) sqrt(1 - alphaBar_t / alphaBar_prev).
 * eta = 0 is deterministic given x_T; eta = 1 matches DDPM's posterior variance. Any eta above 1
 * is allowed: sigma is then capped at sqrt(1 - alphaBar_prev), where the direction term vanishes
 * and the step re-noises x0Hat afresh, so every step keeps the marginal q(x_prev | x_0) of the
 * DDIM family (eq. 7 of the paper holds for any sigma in [0, sqrt(1 - alphaBar_prev)]).
 */
public final class DdimSampler implements Sampler {
    private final NoiseSchedule schedule;
    private final int[] tau;
    private final double eta;
    private final boolean clipX0;

    public DdimSampler(NoiseSchedule schedule, int steps, double eta, boolean clipX0) {
        if (steps < 1 || steps > schedule.steps()) {
            throw new IllegalArgumentException(
                    "DDIM steps must be in 1.." + schedule.steps() + ", got " + steps);
        }
        if (!(eta >= 0 && Double.isFinite(eta))) {
            throw new IllegalArgumentException("eta must be a finite number >= 0, got " + eta);
        }
        this.schedule = schedule;
        this.eta = eta;
        this.clipX0 = clipX0;
        this.tau = new int[steps];
        for (int i = 0; i < steps; i++) {
            tau[i] = 1 + (int) ((long) i * schedule.steps() / steps);
        }
    }

    /**
     * sigma = min(eta sqrt((1 - alphaBar_prev) / (1 - alphaBar_t)) sqrt(1 - alphaBar_t / alphaBar_prev),
     * sqrt(1 - alphaBar_prev)): the cap only binds for eta above 1, where the uncapped value would
     * leave no room for the direction term sqrt(1 - alphaBar_prev - sigma^2) eps.
     */
    public static double sigma(double eta, double alphaBar, double alphaBarPrev) {
        double s = eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBar)) * Math.sqrt(1 - alphaBar / alphaBarPrev);
        return Math.min(s, Math.sqrt(1 - alphaBarPrev));
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
        return tau.length;
    }

    @Override
    public NDArray denoise(Denoiser model, NDArray xT, Noise noise, StepListener listener) {
        NDArray x = xT;
        for (int k = tau.length - 1; k >= 0; k--) {
            final int i = k;
            final int t = tau[i];
            x = Sampler.scoped(x, xT, (xt, sub) -> {
                NDArray tt = sub.full(new Shape(xt.getShape().get(0)), t, DataType.INT32);
                NDArray eps = model.predictEps(xt, tt, false);
                double ab = schedule.alphaBar(t);
                double abPrev = i > 0 ? schedule.alphaBar(tau[i - 1]) : 1.0;
                NDArray x0Hat = xt.sub(eps.mul(Math.sqrt(1 - ab))).div(Math.sqrt(ab));
                if (clipX0) {
                    x0Hat = x0Hat.clip(-1, 1);
                    // Re-derive eps from the clipped x0Hat so that both terms stay consistent.
                    eps = xt.sub(x0Hat.mul(Math.sqrt(ab))).div(Math.sqrt(1 - ab));
                }
                listener.onStep(tau.length - 1 - i, tau.length, t, xt, x0Hat);
                double sigma = sigma(eta, ab, abPrev);
                double dirCoef = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
                NDArray next = x0Hat.mul(Math.sqrt(abPrev)).add(eps.mul(dirCoef));
                if (sigma > 0) {
                    next = next.add(noise.normal(tau.length - i, xt.getShape(), sub).mul(sigma));
                }
                return next;
            });
        }
        return x;
    }
}
