package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.Runtime;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.junit.jupiter.api.Test;

class ForwardProcessTest {
    @Test
    void chainOfOneStepsMatchesClosedForm() {
        // x0 fixed per column; run the one-step chain t times and compare mean and variance
        // with q(x_t|x_0) = N(sqrt(alphaBar_t) x0, 1 - alphaBar_t).
        NoiseSchedule s = NoiseSchedule.ddpm();
        int n = 200_000;
        int t = 300;
        Runtime.seed(1);
        try (NDManager m = Runtime.newManager(); GaussianDiffusion d = new GaussianDiffusion(s, m)) {
            double x0v = 0.8;
            NDArray x = m.full(new Shape(n, 1), (float) x0v);
            for (int k = 1; k <= t; k++) {
                try (NDManager sub = m.newSubManager()) {
                    NDArray tk = sub.full(new Shape(n), k, DataType.INT32);
                    NDArray next = d.qStep(x, tk, sub.randomNormal(x.getShape()));
                    next.attach(m);
                    x.close();
                    x = next;
                }
            }
            NDArray xc = d.qSample(m.full(new Shape(n, 1), (float) x0v),
                    m.full(new Shape(n), t, DataType.INT32), m.randomNormal(new Shape(n, 1)));
            double mean = Math.sqrt(s.alphaBar(t)) * x0v;
            double var = 1 - s.alphaBar(t);
            // Standard errors: mean sd = sqrt(var/n); variance sd ~ var*sqrt(2/n). 5 sigma.
            double tolMean = 5 * Math.sqrt(var / n), tolVar = 5 * var * Math.sqrt(2.0 / n);
            for (NDArray sample : new NDArray[] {x, xc}) {
                double mu = sample.mean().getFloat();
                double v = sample.sub(mu).square().mean().getFloat();
                assertEquals(mean, mu, tolMean);
                assertEquals(var, v, tolVar);
            }
        }
    }

    @Test
    void posteriorMeanFormsAgreeAndX0HatInvertsQSample() {
        NoiseSchedule s = NoiseSchedule.linear(100, 1e-4, 0.05);
        Runtime.seed(2);
        try (NDManager m = Runtime.newManager(); GaussianDiffusion d = new GaussianDiffusion(s, m)) {
            NDArray x0 = m.randomUniform(-1, 1, new Shape(16, 3, 4, 4));
            NDArray eps = m.randomNormal(x0.getShape());
            NDArray t = m.randomInteger(1, 101, new Shape(16), DataType.INT32);
            NDArray xt = d.qSample(x0, t, eps);
            NDArray a = d.posteriorMean(x0, xt, t);
            NDArray b = d.posteriorMeanFromEps(xt, t, eps);
            assertEquals(0, a.sub(b).abs().max().getFloat(), 2e-4);
            assertEquals(0, d.x0Hat(xt, t, eps).sub(x0).abs().max().getFloat(), 2e-3);
            // posterior variance gathers betaTilde per row
            NDArray v = d.posteriorVariance(t, x0);
            int t0 = t.getInt(0);
            assertEquals(s.betaTilde(t0), v.getFloat(0, 0, 0, 0), 1e-7);
        }
    }

    @Test
    void qSampleWorksForVectorsToo() {
        try (NDManager m = Runtime.newManager();
                GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.ddpm(), m)) {
            NDArray x0 = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            NDArray eps = m.create(new float[] {0, 0, 1, 1}, new Shape(2, 2));
            NDArray t = m.create(new int[] {1, 1000});
            NDArray xt = d.qSample(x0, t, eps);
            NoiseSchedule s = d.schedule();
            assertEquals(Math.sqrt(s.alphaBar(1)) * 1, xt.getFloat(0, 0), 1e-6);
            assertEquals(Math.sqrt(s.alphaBar(1000)) * 3 + Math.sqrt(1 - s.alphaBar(1000)),
                    xt.getFloat(1, 0), 1e-6);
        }
    }
}
