package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.junit.jupiter.api.Test;

/**
 * The bound for Gaussian data N(m, s^2) with the exact noise predictor, against an independent
 * computation in doubles: every term at a given x_t exactly, and the sum over all T terms against
 * its closed-form expectation over x_t.
 */
class VariationalBoundTest {
    static final double M = 0.1;
    static final double S = 0.4;
    final NoiseSchedule sch = NoiseSchedule.linear(200, 1e-4, 0.1);

    /** eps*(x_t, t) = sqrt(1 - aBar) (x_t - sqrt(aBar) m) / (aBar s^2 + 1 - aBar): k x_t - k sqrt(aBar) m. */
    double k(int t) {
        double ab = sch.alphaBar(t);
        return Math.sqrt(1 - ab) / (ab * S * S + 1 - ab);
    }

    final Denoiser oracle = (xt, t, training) -> {
        int step = t.getInt(0);
        double ab = sch.alphaBar(step);
        return xt.mul(k(step)).sub(k(step) * Math.sqrt(ab) * M).toType(DataType.FLOAT32, false);
    };

    /** muTilde - muTheta = a x_t + b x_0 + c for this predictor. */
    double[] meanGap(int t) {
        double a = sch.posteriorMeanCoefXt(t) - (1 - sch.epsCoef(t) * k(t)) / Math.sqrt(sch.alpha(t));
        double b = sch.posteriorMeanCoefX0(t);
        double c = -sch.epsCoef(t) * k(t) * Math.sqrt(sch.alphaBar(t)) * M / Math.sqrt(sch.alpha(t));
        return new double[] {a, b, c};
    }

    static double kl(double m1, double v1, double m2, double v2) {
        return 0.5 * Math.log(v2 / v1) + (v1 + (m1 - m2) * (m1 - m2)) / (2 * v2) - 0.5;
    }

    /** Phi by Simpson integration of the density from -12 (independent of erf). */
    static double binProbability(double lo, double hi, double mu, double sd) {
        double a = Math.max(lo, mu - 12 * sd);
        double b = Math.min(hi, mu + 12 * sd);
        if (b <= a) {
            return 0;
        }
        int n = 20_000;
        double h = (b - a) / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double z = (a + i * h - mu) / sd;
            double f = Math.exp(-0.5 * z * z) / (sd * Math.sqrt(2 * Math.PI));
            sum += f * (i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2));
        }
        return sum * h / 3;
    }

    /** Gaussian data quantised to the 256-level grid of [-1, 1]. */
    static float[] gridGaussian(int n, Random r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double v = M + S * r.nextGaussian();
            long level = Math.max(0, Math.min(255, Math.round((v + 1) / 2 * 255)));
            x[i] = (float) (2.0 * level / 255 - 1);
        }
        return x;
    }

    @Test
    void eachTermMatchesAnIndependentComputation() {
        VariationalBound vb = new VariationalBound(sch, DdpmSampler.Variance.BETA_TILDE);
        Random r = new Random(1);
        try (NDManager m = Runtime.newManager()) {
            float[] x0 = gridGaussian(6, r);
            float[] xt = new float[6];
            for (int i = 0; i < 6; i++) {
                xt[i] = (float) r.nextGaussian();
            }
            NDArray x0a = m.create(x0, new Shape(2, 3));
            NDArray xta = m.create(xt, new Shape(2, 3));
            int t = 37;
            double[] kl = vb.klTerm(oracle, x0a, xta, t).toDoubleArray();
            double[] prior = vb.priorTerm(x0a).toDoubleArray();
            double[] dec = vb.decoderTerm(oracle, x0a, xta).toDoubleArray();
            for (int row = 0; row < 2; row++) {
                double expKl = 0, expPrior = 0, expDec = 0;
                for (int j = 0; j < 3; j++) {
                    int i = row * 3 + j;
                    double muTilde = sch.posteriorMeanCoefX0(t) * x0[i] + sch.posteriorMeanCoefXt(t) * xt[i];
                    double eps = k(t) * (xt[i] - Math.sqrt(sch.alphaBar(t)) * M);
                    double muTheta = (xt[i] - sch.epsCoef(t) * eps) / Math.sqrt(sch.alpha(t));
                    expKl += kl(muTilde, sch.betaTilde(t), muTheta, sch.betaTilde(t));
                    expPrior += kl(Math.sqrt(sch.alphaBar(200)) * x0[i], 1 - sch.alphaBar(200), 0, 1);
                    double eps1 = k(1) * (xt[i] - Math.sqrt(sch.alphaBar(1)) * M);
                    double mu1 = (xt[i] - sch.epsCoef(1) * eps1) / Math.sqrt(sch.alpha(1));
                    double sd1 = Math.sqrt(sch.betaTilde(2));
                    double lo = x0[i] < -0.999 ? Double.NEGATIVE_INFINITY : x0[i] - 1.0 / 255;
                    double hi = x0[i] > 0.999 ? Double.POSITIVE_INFINITY : x0[i] + 1.0 / 255;
                    expDec += -Math.log(Math.max(1e-12, binProbability(lo, hi, mu1, sd1)));
                }
                assertEquals(expKl, kl[row], 1e-4 * Math.max(1, Math.abs(expKl)), "L_{t-1}");
                assertEquals(expPrior, prior[row], 1e-9, "L_T");
                assertEquals(expDec, dec[row], 1e-3 * Math.max(1, Math.abs(expDec)), "L_0");
            }
        }
    }

    @Test
    void summedBoundMatchesItsExpectationOverXt() {
        VariationalBound vb = new VariationalBound(sch, DdpmSampler.Variance.BETA);
        Random r = new Random(2);
        int rows = 64;
        int dims = 16;
        float[] x0 = gridGaussian(rows * dims, r);
        // Independent: E over x_t ~ N(sqrt(aBar) x0, 1 - aBar) of each KL, and its variance.
        double expected = 0;
        double variance = 0;
        for (int t = 2; t <= sch.steps(); t++) {
            double[] g = meanGap(t);
            double v1 = sch.betaTilde(t);
            double v2 = vb.sigma2(t);
            double sdXt = Math.sqrt(1 - sch.alphaBar(t));
            for (float x : x0) {
                double mu = g[0] * Math.sqrt(sch.alphaBar(t)) * x + g[1] * x + g[2]; // mean of the gap
                double sg = Math.abs(g[0]) * sdXt;                                     // its sd
                expected += 0.5 * Math.log(v2 / v1) + (v1 + mu * mu + sg * sg) / (2 * v2) - 0.5;
                variance += (4 * mu * mu * sg * sg + 2 * Math.pow(sg, 4)) / Math.pow(2 * v2, 2);
            }
        }
        Runtime.seed(3);
        try (NDManager m = Runtime.newManager()) {
            NDArray x = m.create(x0, new Shape(rows, dims));
            VariationalBound.Terms terms = vb.evaluate(oracle, x, 0, null, null);
            double got = terms.kl().sum().getDouble();
            assertEquals(expected, got, 5 * Math.sqrt(variance), "sum of L_{t-1} over all t and rows");
            assertTrue(terms.total().sum().getDouble() > got);
            // Unbiased subsampling of t: same expectation, within a looser tolerance.
            double sub = 0;
            for (int rep = 0; rep < 4; rep++) {
                sub += vb.evaluate(oracle, x, 50, new Random(rep), null).kl().sum().getDouble() / 4;
            }
            assertEquals(expected, sub, 0.15 * expected, "subsampled estimate");
        }
        assertEquals(1.0, VariationalBound.bitsPerDim(784 * Math.log(2), 784), 1e-12);
    }
}
