package org.diffusion4j.vae;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.nn.Scalar;

/**
 * The closed-form KL divergences of math.md sections 5 and 6 and the diagonal Gaussian log
 * density they come from. Inputs [B, L]; results [B] (summed over the latent dimensions).
 */
public final class Kl {
    /** log(2 pi). */
    public static final double LOG_2PI = Math.log(2 * Math.PI);

    private Kl() {}

    /** KL(N(mu, sigma^2) || N(0, I)) = 1/2 sum_i (mu_i^2 + sigma_i^2 - log sigma_i^2 - 1). */
    public static NDArray standardNormal(NDArray mu, NDArray logVar) {
        return Scalar.mul(mu.square().add(logVar.exp()).sub(logVar).sub(1).sum(new int[] {-1}), 0.5);
    }

    /** KL(N(mu, sigma^2) || N(mu^Y, I)) = 1/2 sum_i (-log sigma_i^2 + (mu_i - mu^Y_i)^2 + sigma_i^2 - 1). */
    public static NDArray toClassMean(NDArray mu, NDArray logVar, NDArray priorMean) {
        return Scalar.mul(mu.sub(priorMean).square().add(logVar.exp()).sub(logVar).sub(1).sum(new int[] {-1}), 0.5);
    }

    /**
     * log N(z; mean, diag(exp(logVar))) = -1/2 sum_i ((z_i - mean_i)^2 / sigma_i^2 + log sigma_i^2 + log 2 pi),
     * over the last axis. {@code logVar} null means unit variance.
     */
    public static NDArray logNormal(NDArray z, NDArray mean, NDArray logVar) {
        NDArray d2 = mean == null ? z.square() : z.sub(mean).square();
        long l = z.getShape().get(z.getShape().dimension() - 1);
        if (logVar == null) {
            return Scalar.mul(d2.sum(new int[] {-1}).add(l * LOG_2PI), -0.5);
        }
        return Scalar.mul(d2.div(logVar.exp()).add(logVar).sum(new int[] {-1}).add(l * LOG_2PI), -0.5);
    }
}
