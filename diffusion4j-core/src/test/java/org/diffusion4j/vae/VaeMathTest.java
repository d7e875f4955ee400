package org.diffusion4j.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;

class VaeMathTest {
    /** Monte-Carlo KL(q || p) = E_q[log q(z) - log p(z)] with z = mu + sigma eps, n draws per row. */
    private static float[] monteCarloKl(NDManager m, NDArray mu, NDArray logVar, NDArray priorMean, int n) {
        long b = mu.getShape().get(0);
        long l = mu.getShape().get(1);
        NDArray eps = m.randomNormal(new Shape(n, b, l));
        NDArray z = Bounds.reparameterize(mu, logVar, eps);
        NDArray logQ = Kl.logNormal(z, mu, logVar);
        NDArray logP = Kl.logNormal(z, priorMean, null);
        return logQ.sub(logP).mean(new int[] {0}).toFloatArray();
    }

    @Test
    void closedFormKlMatchesMonteCarlo() {
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(11);
            NDArray mu = m.randomNormal(new Shape(4, 3));
            NDArray logVar = m.randomUniform(-1.5f, 1f, new Shape(4, 3));
            NDArray priorMean = m.randomNormal(0, 2, new Shape(4, 3), ai.djl.ndarray.types.DataType.FLOAT32);
            float[] exact = Kl.standardNormal(mu, logVar).toFloatArray();
            float[] mc = monteCarloKl(m, mu, logVar, null, 400_000);
            float[] exactY = Kl.toClassMean(mu, logVar, priorMean).toFloatArray();
            float[] mcY = monteCarloKl(m, mu, logVar, priorMean, 400_000);
            for (int i = 0; i < 4; i++) {
                // the MC standard error is below 0.01 here; 0.03 is three of them plus a margin
                assertEquals(exact[i], mc[i], 0.03 + 0.005 * exact[i], "N(0,I) KL row " + i);
                assertEquals(exactY[i], mcY[i], 0.03 + 0.005 * exactY[i], "class-prior KL row " + i);
                assertTrue(exact[i] >= 0 && exactY[i] >= 0);
            }
            // KL against N(mu^Y, I) with mu^Y = 0 is the standard one
            float[] zeroY = Kl.toClassMean(mu, logVar, m.zeros(new Shape(4, 3))).toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertEquals(exact[i], zeroY[i], 1e-5);
            }
        }
    }

    static VaeSpec tinySpec(VaeSpec.Conditional c) {
        return VaeSpec.builder(16).hidden(12).latent(3).activation(VaeSpec.Activation.TANH)
                .conditional(c, 4).build();
    }

    @Test
    void gradientsReachBothEncoderHeadsThroughZ() {
        for (VaeSpec.Conditional c : VaeSpec.Conditional.values()) {
            try (NDManager m = Runtime.newManager()) {
                Runtime.seed(5);
                VaeModel model = VaeModel.create(tinySpec(c), m);
                ParameterStore ps = new ParameterStore(m, false);
                try (NDManager s = m.newSubManager()) {
                    NDArray x = s.randomUniform(0, 1, new Shape(8, 16)).gt(0.5).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                    NDArray y = s.create(new int[] {0, 1, 2, 3, 0, 1, 2, 3});
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        // beta = 0: the only way into the heads is through z = mu + exp(logVar/2) eps
                        gc.backward(Bounds.terms(model, ps, x, y, true).loss(0));
                    }
                    for (String head : new String[] {"mu", "logVar"}) {
                        NDArray g = model.getParameters().stream().filter(e -> e.getKey().endsWith(head + "_weight"))
                                .findFirst().orElseThrow().getValue().getArray().getGradient();
                        double norm = g.square().sum().getFloat();
                        assertTrue(norm > 1e-12, c + ": gradient of the " + head + " head is " + norm);
                        g.subi(g);
                    }
                }
            }
        }
    }

    @Test
    void importanceWeightedBoundRisesWithKAndStaysAboveElbo() {
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(3);
            VaeModel model = VaeModel.create(tinySpec(VaeSpec.Conditional.NONE), m);
            ParameterStore ps = new ParameterStore(m, false);
            int b = 20;
            int k = 1000;
            NDArray x = m.randomUniform(0, 1, new Shape(b, 16)).gt(0.5).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            Bounds.LogWeights w = Bounds.logWeights(model, ps, x, null, k, 4096);
            int[] ks = {1, 10, 100, 1000};
            double[] bound = new double[ks.length];
            double elbo = 0;
            double meanLogW = 0;
            for (int i = 0; i < b; i++) {
                elbo += w.elbo(i) / b;
                meanLogW += w.meanLogW(i) / b;
                for (int t = 0; t < ks.length; t++) {
                    int groups = k / ks[t];
                    for (int g = 0; g < groups; g++) {
                        float[] part = java.util.Arrays.copyOfRange(w.logW()[i], g * ks[t], (g + 1) * ks[t]);
                        bound[t] += Bounds.logMeanExp(part) / groups / b;
                    }
                }
            }
            // E[log w] is the ELBO: the closed-form-KL estimate agrees with the plain average of log w
            assertEquals(elbo, meanLogW, 0.05 * Math.abs(elbo) / Math.sqrt(1000) + 0.05, "ELBO estimates");
            assertEquals(meanLogW, bound[0], 1e-6 * Math.abs(meanLogW) + 1e-4);
            for (int t = 1; t < ks.length; t++) {
                assertTrue(bound[t] > bound[t - 1], "L_" + ks[t] + " = " + bound[t] + " <= L_" + ks[t - 1] + " = " + bound[t - 1]);
                assertTrue(bound[t] >= elbo, "L_" + ks[t] + " below the ELBO " + elbo);
            }
            // chunking (several decoder passes) gives the same kind of numbers as one pass
            Runtime.seed(9);
            Bounds.LogWeights small = Bounds.logWeights(model, ps, x, null, 50, 64);
            Runtime.seed(9);
            Bounds.LogWeights big = Bounds.logWeights(model, ps, x, null, 50, 1 << 20);
            assertEquals(50, small.logW()[0].length);
            double a = 0;
            double c = 0;
            for (int i = 0; i < b; i++) {
                a += small.iwBound(i) / b;
                c += big.iwBound(i) / b;
            }
            assertEquals(c, a, 0.5, "chunked and unchunked IW bounds (different draws)");
        }
    }
}
