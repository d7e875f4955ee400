package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

/**
 * eps, x0 and v (math.md, "Prediction types"): the conversions against closed forms computed in
 * doubles, their round trips, the adapter that reads an x0 or v network as an eps predictor, and
 * the min-SNR-gamma weights (Hang et al. 2023) with the squared-error factors they rest on.
 */
class PredictionTest {
    static final int B = 6;
    static final int D = 5;

    /** Rows at steps spread over 1..T of the DDPM schedule, with random x0 and eps (doubles). */
    static final class Case {
        final NoiseSchedule schedule = NoiseSchedule.ddpm();
        final int[] t = {1, 10, 250, 500, 900, 1000};
        final double[][] x0 = new double[B][D];
        final double[][] eps = new double[B][D];
        final double[][] xt = new double[B][D];

        Case(long seed) {
            Random r = new Random(seed);
            for (int i = 0; i < B; i++) {
                double ab = schedule.alphaBar(t[i]);
                for (int j = 0; j < D; j++) {
                    x0[i][j] = 2 * r.nextDouble() - 1;
                    eps[i][j] = r.nextGaussian();
                    xt[i][j] = Math.sqrt(ab) * x0[i][j] + Math.sqrt(1 - ab) * eps[i][j];
                }
            }
        }

        double a(int i) {
            return Math.sqrt(schedule.alphaBar(t[i]));
        }

        double s(int i) {
            return Math.sqrt(1 - schedule.alphaBar(t[i]));
        }

        NDArray array(NDManager m, double[][] v) {
            float[] f = new float[B * D];
            for (int i = 0; i < B; i++) {
                for (int j = 0; j < D; j++) {
                    f[i * D + j] = (float) v[i][j];
                }
            }
            return m.create(f, new Shape(B, D));
        }

        NDArray column(NDManager m, boolean sqrtAlphaBar) {
            float[] f = new float[B];
            for (int i = 0; i < B; i++) {
                f[i] = (float) (sqrtAlphaBar ? a(i) : s(i));
            }
            return m.create(f, new Shape(B, 1));
        }
    }

    private static void assertClose(double[][] want, NDArray got, double tol, String what) {
        float[] g = got.toFloatArray();
        for (int i = 0; i < B; i++) {
            for (int j = 0; j < D; j++) {
                assertEquals(want[i][j], g[i * D + j], tol * Math.max(1, Math.abs(want[i][j])), what + " row " + i + " col " + j);
            }
        }
    }

    @Test
    void conversionsMatchTheClosedForms() {
        Runtime.init();
        Case c = new Case(3);
        double[][] v = new double[B][D];
        for (int i = 0; i < B; i++) {
            for (int j = 0; j < D; j++) {
                v[i][j] = c.a(i) * c.eps[i][j] - c.s(i) * c.x0[i][j]; // Salimans & Ho 2022
            }
        }
        try (NDManager m = Runtime.newManager()) {
            NDArray x0 = c.array(m, c.x0);
            NDArray eps = c.array(m, c.eps);
            NDArray xt = c.array(m, c.xt);
            NDArray a = c.column(m, true);
            NDArray s = c.column(m, false);
            assertClose(v, Parameterization.v(x0, eps, a, s), 1e-6, "v");
            assertClose(v, Prediction.V.target(x0, eps, a, s), 1e-6, "v target");
            assertClose(c.x0, Prediction.X0.target(x0, eps, a, s), 1e-7, "x0 target");
            assertClose(c.eps, Prediction.EPS.target(x0, eps, a, s), 1e-7, "eps target");
            NDArray vArr = c.array(m, v);
            assertClose(c.x0, Parameterization.x0FromV(xt, vArr, a, s), 1e-5, "x0 from v");
            assertClose(c.eps, Parameterization.epsFromV(xt, vArr, a, s), 1e-5, "eps from v");
            // x0 from eps divides by sqrt(alphaBar_T) = 0.0064 at t = T: float32 error grows accordingly.
            assertClose(c.x0, Parameterization.x0FromEps(xt, eps, a, s), 1e-3, "x0 from eps");
            // eps from x0 divides by sqrt(1 - alphaBar_1) = 0.01 at t = 1.
            assertClose(c.eps, Parameterization.epsFromX0(xt, x0, a, s), 1e-3, "eps from x0");
            for (Prediction p : Prediction.values()) {
                NDArray back = p.toEps(p.target(x0, eps, a, s), xt, a, s);
                assertClose(c.eps, back, 1e-3, p + " -> eps");
            }
        }
    }

    @Test
    void knownValuesAtHalfSignal() {
        Runtime.init();
        try (NDManager m = Runtime.newManager()) {
            // alphaBar = 1/2: a = s = 1/sqrt(2); x0 = 1, eps = 0 gives x_t = 0.7071 and v = -0.7071.
            NDArray a = m.create(new float[] {(float) Math.sqrt(0.5)});
            NDArray x0 = m.create(new float[] {1f});
            NDArray eps = m.create(new float[] {0f});
            assertEquals(-Math.sqrt(0.5), Parameterization.v(x0, eps, a, a).getFloat(0), 1e-7);
            NDArray xt = m.create(new float[] {(float) Math.sqrt(0.5)});
            // a network saying v = 0 at x_t means x0 = a x_t = 0.5 and eps = s x_t = 0.5
            NDArray zero = m.create(new float[] {0f});
            assertEquals(0.5, Parameterization.x0FromV(xt, zero, a, a).getFloat(0), 1e-7);
            assertEquals(0.5, Parameterization.epsFromV(xt, zero, a, a).getFloat(0), 1e-7);
        }
    }

    /** An x0 or v network read through the adapter gives the eps of the exact Gaussian predictor. */
    @Test
    void adapterTurnsX0AndVNetworksIntoTheSameNoisePredictor() {
        Runtime.init();
        NoiseSchedule schedule = NoiseSchedule.linear(100, 1e-3, 0.2);
        GaussianOracle oracle = new GaussianOracle(schedule, 0.3, 0.7);
        try (NDManager m = Runtime.newManager(); GaussianDiffusion d = new GaussianDiffusion(schedule, m)) {
            NDArray xt = m.randomNormal(new Shape(8, 3));
            NDArray t = m.create(new int[] {1, 2, 10, 30, 50, 70, 99, 100});
            NDArray epsStar = oracle.predictEps(xt, t, false);
            // Networks that output the x0 and v belonging to the oracle's eps (closed forms in doubles).
            Denoiser x0Net = (x, tt, training) -> perRow(x, tt, schedule, (ab, xv, e) -> (xv - Math.sqrt(1 - ab) * e) / Math.sqrt(ab), oracle);
            Denoiser vNet = (x, tt, training) -> perRow(x, tt, schedule, (ab, xv, e) -> {
                double x0 = (xv - Math.sqrt(1 - ab) * e) / Math.sqrt(ab);
                return Math.sqrt(ab) * e - Math.sqrt(1 - ab) * x0;
            }, oracle);
            float[] want = epsStar.toFloatArray();
            for (Denoiser net : new Denoiser[] {x0Net, vNet}) {
                Prediction p = net == x0Net ? Prediction.X0 : Prediction.V;
                float[] got = PredictionDenoiser.of(net, p, d).predictEps(xt, t, false).toFloatArray();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 2e-4 * Math.max(1, Math.abs(want[i])), p + " element " + i);
                }
            }
            assertSame(oracle, PredictionDenoiser.of(oracle, Prediction.EPS, d));
        }
    }

    interface Rule {
        double apply(double alphaBar, double xt, double eps);
    }

    private static NDArray perRow(NDArray x, NDArray t, NoiseSchedule schedule, Rule rule, Denoiser oracle) {
        float[] xv = x.toFloatArray();
        float[] e = oracle.predictEps(x, t, false).toFloatArray();
        int[] steps = t.toIntArray();
        int d = xv.length / steps.length;
        float[] out = new float[xv.length];
        for (int i = 0; i < xv.length; i++) {
            out[i] = (float) rule.apply(schedule.alphaBar(steps[i / d]), xv[i], e[i]);
        }
        return x.getManager().create(out, x.getShape()).toType(DataType.FLOAT32, false);
    }

    @Test
    void minSnrWeightsHaveTheirKnownValues() {
        // SNR 10 above gamma 5: eps 5/10, x0 5, v 5/11; SNR 1 below: eps 1, x0 1, v 1/2.
        assertEquals(0.5, Prediction.EPS.minSnrWeight(10, 5), 1e-15);
        assertEquals(5, Prediction.X0.minSnrWeight(10, 5), 1e-15);
        assertEquals(5.0 / 11, Prediction.V.minSnrWeight(10, 5), 1e-15);
        assertEquals(1, Prediction.EPS.minSnrWeight(1, 5), 1e-15);
        assertEquals(1, Prediction.X0.minSnrWeight(1, 5), 1e-15);
        assertEquals(0.5, Prediction.V.minSnrWeight(1, 5), 1e-15);
        for (Prediction p : Prediction.values()) {
            assertEquals(1, p.minSnrWeight(123, 0), 0, "gamma 0 is no weighting");
        }
        NoiseSchedule s = NoiseSchedule.ddpm();
        double ab = s.alphaBar(300);
        assertEquals(Math.min(ab / (1 - ab), 5) / (ab / (1 - ab)), new Objective(Prediction.EPS, 5).weight(s, 300), 1e-12);
        assertThrows(InvalidArgumentException.class, () -> new Objective(Prediction.V, -1));
        assertThrows(InvalidArgumentException.class, () -> new Objective(Prediction.V, Double.NaN));
        assertEquals(Prediction.V, Prediction.parse(" V "));
        assertNull(Prediction.parse("score"));
    }

    /**
     * The weights rest on the squared errors' factors over x0's: an error delta in x0 at fixed x_t
     * is an error of SNR |delta|^2 in eps and (SNR + 1) |delta|^2 in v. So weight * factor must be
     * min(SNR, gamma) for every type: measured here through the conversions.
     */
    @Test
    void weightTimesErrorFactorIsMinSnrForEveryType() {
        Runtime.init();
        Case c = new Case(11);
        double gamma = 5;
        try (NDManager m = Runtime.newManager()) {
            NDArray x0 = c.array(m, c.x0);
            NDArray xt = c.array(m, c.xt);
            NDArray a = c.column(m, true);
            NDArray s = c.column(m, false);
            NDArray eps = Parameterization.epsFromX0(xt, x0, a, s);
            NDArray v = Parameterization.v(x0, eps, a, s);
            NDArray x0Hat = x0.add(0.01f);
            NDArray epsHat = Parameterization.epsFromX0(xt, x0Hat, a, s);
            NDArray vHat = Parameterization.v(x0Hat, epsHat, a, s);
            for (int i = 3; i < B; i++) { // rows with SNR away from float32's limits
                double snr = c.schedule.alphaBar(c.t[i]) / (1 - c.schedule.alphaBar(c.t[i]));
                double dx = sq(x0Hat.get(i).sub(x0.get(i)));
                double[] err = {sq(epsHat.get(i).sub(eps.get(i))), dx, sq(vHat.get(i).sub(v.get(i)))};
                for (Prediction p : Prediction.values()) {
                    double weighted = p.minSnrWeight(snr, gamma) * err[p.ordinal()];
                    assertEquals(Math.min(snr, gamma) * dx, weighted, 2e-3 * Math.min(snr, gamma) * dx, p + " at t " + c.t[i]);
                }
            }
        }
    }

    private static double sq(NDArray d) {
        return d.square().sum().getFloat();
    }
}
