package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2): the multistep second-order
 * solver of the probability-flow ODE in its data-prediction form, one network call per step.
 * With alpha_t = sqrt(alphaBar_t), sigma_t = sqrt(1 - alphaBar_t), lambda_t = log(alpha_t / sigma_t),
 * D_i = x0Hat at step t_i and h = lambda_{t_{i-1}} - lambda_{t_i}, a step from t_i to t_{i-1} is
 * (sampling.md, "DPM-Solver++(2M)"):
 * <pre>
 * x_{t_{i-1}} = sigma_{t_{i-1}} / sigma_{t_i} x_{t_i} + alpha_{t_{i-1}} (1 - e^{-h}) D
 * D = D_i                                        (the first step: first order, no history yet)
 * D = (1 + 1/(2r)) D_i - 1/(2r) D_{i+1},  r = (lambda_{t_i} - lambda_{t_{i+1}}) / h   (the others)
 * </pre>
 * The last step goes from t_1 to alphaBar = 1, where sigma = 0 and h is infinite: it is first
 * order and returns D_1 (diffusers' final_sigmas_type "zero"). With {@code lowerOrderFinal} the step
 * before it, from t_2 into t_1, is first order too: on grids that end at t = 1 that step is long in
 * lambda and the linear extrapolation of D over it overshoots. This is our rule, not diffusers'
 * lower_order_final (which, at solver order 2 with final_sigmas_type "zero", changes nothing), so
 * with it the samples differ from diffusers' scheduler on that step. S steps make exactly S
 * network calls.
 *
 * <p>With eta above 0 it solves the reverse SDE instead and re-noises at each step but the last,
 * in the way DDIM's eta does: with s = min(eta sigma_{t_{i-1}} sqrt(1 - e^{-2h}), sigma_{t_{i-1}}),
 * <pre>
 * x_{t_{i-1}} = k x_{t_i} + (alpha_{t_{i-1}} - k alpha_{t_i}) D + s z,   k = sqrt(sigma_{t_{i-1}}^2 - s^2) / sigma_{t_i}
 * </pre>
 * with the same D and z ~ N(0, I). eta = 0 is the ODE step above; eta = 1 is SDE-DPM-Solver++(2M)
 * (Lu et al. 2022, appendix; diffusers' algorithm_type "sde-dpmsolver++"), k = sigma_{t_{i-1}} /
 * sigma_{t_i} e^{-h}, whose first-order step is the DDPM posterior step, i.e. DDIM with eta = 1;
 * eta above 1 adds more noise (sampling.md, "SDE-DPM-Solver++(2M)").
 */
public final class DpmSolverSampler implements Sampler {
    private final NoiseSchedule schedule;
    private final int[] tau;
    private final boolean clipX0;
    private final boolean lowerOrderFinal;
    private final double eta;

    /**
     * @param timesteps the steps visited, ascending, distinct, in 1..T (see {@link Timesteps})
     * @param clipX0 clip each D_i to [-1, 1] (images; the static thresholding of the paper)
     * @param lowerOrderFinal take the step from t_2 into the smallest step t_1 with first order (not
     *     diffusers' flag of that name: see above)
     * @param eta the noise of each step: 0 for the ODE, 1 for the reverse SDE, above 1 more
     */
    public DpmSolverSampler(NoiseSchedule schedule, int[] timesteps, boolean clipX0, boolean lowerOrderFinal, double eta) {
        if (!(eta >= 0 && Double.isFinite(eta))) {
            throw new IllegalArgumentException("eta must be a finite number >= 0, got " + eta);
        }
        this.schedule = schedule;
        this.tau = checkedSteps(schedule, timesteps);
        this.clipX0 = clipX0;
        this.lowerOrderFinal = lowerOrderFinal;
        this.eta = eta;
    }

    /** The ODE solver (eta = 0) on the given steps. */
    public DpmSolverSampler(NoiseSchedule schedule, int[] timesteps, boolean clipX0, boolean lowerOrderFinal) {
        this(schedule, timesteps, clipX0, lowerOrderFinal, 0.0);
    }

    /** S steps laid out by {@code spacing}. */
    public DpmSolverSampler(NoiseSchedule schedule, int steps, Timesteps.Spacing spacing, boolean clipX0, boolean lowerOrderFinal,
            double eta) {
        this(schedule, Timesteps.of(schedule, steps, spacing), clipX0, lowerOrderFinal, eta);
    }

    /** The ODE solver (eta = 0) on S steps laid out by {@code spacing}. */
    public DpmSolverSampler(NoiseSchedule schedule, int steps, Timesteps.Spacing spacing, boolean clipX0, boolean lowerOrderFinal) {
        this(schedule, steps, spacing, clipX0, lowerOrderFinal, 0.0);
    }

    static int[] checkedSteps(NoiseSchedule schedule, int[] timesteps) {
        if (timesteps.length < 1) {
            throw new IllegalArgumentException("a sampler needs at least one step");
        }
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] < 1 || timesteps[i] > schedule.steps() || (i > 0 && timesteps[i] <= timesteps[i - 1])) {
                throw new IllegalArgumentException("timesteps must increase within 1.." + schedule.steps()
                        + ", got " + java.util.Arrays.toString(timesteps));
            }
        }
        return timesteps.clone();
    }

    /** The steps visited, ascending. */
    public int[] timesteps() {
        return tau.clone();
    }

    /** The noise of each step: 0 for the ODE, 1 for the reverse SDE. */
    public double eta() {
        return eta;
    }

    @Override
    public String toString() {
        return (eta > 0 ? "SDE-" : "") + "DPM-Solver++(2M)" + (eta > 0 && eta != 1 ? ", eta " + eta : "") + (lowerOrderFinal ? ", lower order final" : "");
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
        NDManager out = xT.getManager();
        NDArray x = xT;
        NDArray dPrev = null; // D at the previous (larger) step, kept for the multistep update
        double lambdaPrev = 0;
        for (int i = tau.length - 1; i >= 0; i--) {
            int t = tau[i];
            int target = i > 0 ? tau[i - 1] : 0;
            NDArray next;
            NDArray d;
            try (NDManager scope = out.newSubManager()) {
                scope.tempAttachAll(x);
                if (dPrev != null) {
                    scope.tempAttachAll(dPrev);
                }
                NDArray tt = scope.full(new Shape(x.getShape().get(0)), t, DataType.INT32);
                NDArray eps = model.predictEps(x, tt, false);
                double ab = schedule.alphaBar(t);
                d = x.sub(eps.mul(Math.sqrt(1 - ab))).div(Math.sqrt(ab));
                if (clipX0) {
                    d = d.clip(-1, 1);
                }
                listener.onStep(tau.length - 1 - i, tau.length, t, x, d);
                if (target == 0) {
                    next = d.duplicate(); // sigma = 0: x_0 = D_1
                } else {
                    double lambda = schedule.lambda(t);
                    double h = schedule.lambda(target) - lambda;
                    NDArray dm = d;
                    if (dPrev != null && !(lowerOrderFinal && i == 1)) {
                        double r = (lambda - lambdaPrev) / h;
                        dm = d.mul(1 + 0.5 / r).sub(dPrev.mul(0.5 / r));
                    }
                    double abTarget = schedule.alphaBar(target);
                    double sigmaRatio = Math.sqrt((1 - abTarget) / (1 - ab));
                    if (eta == 0) {
                        // sigma_target / sigma_t and alpha_target (1 - e^{-h}), with expm1 for small h.
                        next = x.mul(sigmaRatio).add(dm.mul(-Math.sqrt(abTarget) * Math.expm1(-h)));
                    } else {
                        // s^2 = eta^2 sigma_target^2 (1 - e^{-2h}), at most sigma_target^2; k = sqrt(sigma_target^2 - s^2) / sigma_t.
                        double noiseShare = Math.min(1, eta * eta * -Math.expm1(-2 * h));
                        double k = sigmaRatio * Math.sqrt(1 - noiseShare);
                        double s = Math.sqrt((1 - abTarget) * noiseShare);
                        next = x.mul(k).add(dm.mul(Math.sqrt(abTarget) - k * Math.sqrt(ab)))
                                .add(noise.normal(tau.length - i, x.getShape(), scope).mul(s));
                    }
                    lambdaPrev = lambda;
                }
                next.attach(out);
                d.attach(out);
            }
            if (x != xT) {
                x.close();
            }
            if (dPrev != null) {
                dPrev.close();
            }
            x = next;
            dPrev = d;
        }
        dPrev.close();
        return x;
    }
}
