package org.diffusion4j.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.diffusion4j.nn.Scalar;

/**
 * The VAE objectives of math.md section 5 for one batch: the training loss (reconstruction plus
 * beta times the closed-form KL) and the log importance weights log p(x, z_i) - log q(z_i | x)
 * behind the ELBO and the importance-weighted bound (Burda et al. 2016). All in nats per example.
 * Random numbers come from PyTorch's generator (seed it first).
 */
public final class Bounds {
    private Bounds() {}

    /** The parts of a training loss, each [B]: -log p(x|z) at one z per example, and the KL. */
    public record Terms(NDArray reconstruction, NDArray kl) {
        /** mean_B(reconstruction + beta * kl), the scalar to minimise. */
        public NDArray loss(double beta) {
            return reconstruction.add(Scalar.mul(kl, beta)).mean();
        }
    }

    /** Re-parameterisation: z = mu + exp(logVar / 2) * eps, eps ~ N(0, I). */
    public static NDArray reparameterize(NDArray mu, NDArray logVar, NDArray eps) {
        return mu.add(Scalar.mul(logVar, 0.5).exp().mul(eps));
    }

    /** The closed-form KL of q(z|x) against the model's prior (N(0, I) or N(mu^Y, I)): [B]. */
    public static NDArray kl(VaeModel model, ParameterStore ps, VaeModel.Posterior q, NDArray y) {
        NDArray priorMean = model.priorMean(ps, y);
        return priorMean == null ? Kl.standardNormal(q.mu(), q.logVar()) : Kl.toClassMean(q.mu(), q.logVar(), priorMean);
    }

    /** Reconstruction and KL of a batch x [B, D] (labels y [B] or null), with one sample z per example. */
    public static Terms terms(VaeModel model, ParameterStore ps, NDArray x, NDArray y, boolean training) {
        NDArray flat = x.reshape(x.getShape().get(0), -1);
        VaeModel.Posterior q = model.encode(ps, flat, y, training);
        NDArray eps = flat.getManager().randomNormal(q.mu().getShape());
        NDArray z = reparameterize(q.mu(), q.logVar(), eps);
        NDArray out = model.decode(ps, z, y, flat, training);
        return new Terms(model.logLikelihood(ps, flat, out).neg(), kl(model, ps, q, y));
    }

    /**
     * The log importance weights log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x) of k
     * samples z_i ~ q(z|x) per example, as a Java array [B][k], computed in chunks of at most
     * {@code maxRows} decoder rows so memory stays bounded for any k. Also returns, per example,
     * the mean over samples of log p(x|z_i) (for the ELBO with the closed-form KL).
     */
    public static LogWeights logWeights(VaeModel model, ParameterStore ps, NDArray x, NDArray y, int k, int maxRows) {
        NDManager parent = x.getManager();
        int b = (int) x.getShape().get(0);
        int l = model.spec().latent();
        float[][] w = new float[b][k];
        double[] recon = new double[b];
        double[] kl = new double[b];
        try (NDManager m = parent.newSubManager()) {
            NDArray flat = x.reshape(b, -1);
            flat.attach(m);
            NDArray yy = y;
            if (y != null) {
                yy = y.duplicate();
                yy.attach(m);
            }
            VaeModel.Posterior q = model.encode(ps, flat, yy, false);
            NDArray priorMean = model.priorMean(ps, yy);
            float[] klv = kl(model, ps, q, yy).toFloatArray();
            for (int i = 0; i < b; i++) {
                kl[i] = klv[i];
            }
            int chunk = Math.max(1, Math.min(k, maxRows / Math.max(1, b)));
            for (int done = 0; done < k; done += chunk) {
                int c = Math.min(chunk, k - done);
                try (NDManager s = m.newSubManager()) {
                    NDArray eps = s.randomNormal(new Shape(c, b, l));
                    NDArray z = eps.mul(q.logVar().mul(0.5).exp()).add(q.mu());           // [c, B, L]
                    NDArray zf = z.reshape(c * (long) b, l);
                    NDArray yc = yy == null ? null : s.zeros(new Shape(c, 1), yy.getDataType()).add(yy).reshape(-1);
                    NDArray xc = s.zeros(new Shape(c, 1, 1)).add(flat);                           // [c, B, D]
                    NDArray out = model.decode(ps, zf, yc, xc.reshape(c * (long) b, -1), false).reshape(c, b, -1);
                    NDArray logPx = model.logLikelihood(ps, xc, out); // [c, B]
                    NDArray logPz = Kl.logNormal(z, priorMean, null);
                    // log q(z|x) with z = mu + sigma eps: -1/2 sum(eps^2 + logVar + log 2 pi)
                    NDArray logQz = Kl.logNormal(eps, null, null).sub(q.logVar().sum(new int[] {-1}).mul(0.5));
                    float[] lw = logPx.add(logPz).sub(logQz).toFloatArray();
                    float[] lp = logPx.toFloatArray();
                    for (int j = 0; j < c; j++) {
                        for (int i = 0; i < b; i++) {
                            w[i][done + j] = lw[j * b + i];
                            recon[i] += lp[j * b + i];
                        }
                    }
                }
            }
        }
        for (int i = 0; i < b; i++) {
            recon[i] /= k;
        }
        return new LogWeights(w, recon, kl);
    }

    /** Log importance weights [B][k], mean log p(x|z) over the samples [B], closed-form KL [B]. */
    public record LogWeights(float[][] logW, double[] meanLogPx, double[] kl) {
        /** The importance-weighted bound of example i: log (1/k) sum_j w_j, by logsumexp. */
        public double iwBound(int i) {
            return logMeanExp(logW[i]);
        }

        /** The ELBO of example i: E_q[log p(x|z)] - KL, with the closed-form KL. */
        public double elbo(int i) {
            return meanLogPx[i] - kl[i];
        }

        /** The plain Monte-Carlo ELBO of example i: mean_j log w_j (never above the IW bound of the same samples). */
        public double meanLogW(int i) {
            double s = 0;
            for (float v : logW[i]) {
                s += v;
            }
            return s / logW[i].length;
        }
    }

    /** log (1/k) sum_j exp(a_j), stable. */
    public static double logMeanExp(float[] a) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : a) {
            max = Math.max(max, v);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double s = 0;
        for (float v : a) {
            s += Math.exp(v - max);
        }
        return max + Math.log(s / a.length);
    }
}
