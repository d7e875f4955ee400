package org.diffusion4j.vae;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.nn.Scalar;

/**
 * log p(x|z) of the decoder output, summed over the data dimensions: x and the output are
 * [..., D]; the result is [...]. In nats.
 */
public final class Likelihoods {
    private Likelihoods() {}

    /**
     * Bernoulli with logits l: log p = sum_d (x_d l_d - softplus(l_d)) = -BCE(sigmoid(l), x),
     * stable for any l (PyTorch's softplus is linear above 20).
     */
    public static NDArray bernoulli(NDArray x, NDArray logits) {
        return x.mul(logits).sub(logits.getNDArrayInternal().softPlus()).sum(new int[] {-1});
    }

    /**
     * Gaussian with mean m and variance exp(logVar) per dimension (logVar [D], or null for a fixed
     * {@code variance}): log p = -1/2 sum_d ((x_d - m_d)^2 / sigma_d^2 + log sigma_d^2 + log 2 pi).
     */
    public static NDArray gaussian(NDArray x, NDArray mean, NDArray logVar, double variance) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        NDArray d2 = x.sub(mean).square();
        if (logVar == null) {
            return Scalar.mul(Scalar.div(d2.sum(new int[] {-1}), variance).add(d * (Math.log(variance) + Kl.LOG_2PI)), -0.5);
        }
        return Scalar.mul(d2.div(logVar.exp()).add(logVar).sum(new int[] {-1}).add(d * Kl.LOG_2PI), -0.5);
    }
}
