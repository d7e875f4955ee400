package org.diffusion4j.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.diffusion4j.Runtime;
import org.diffusion4j.vae.MaskedConv2d;
import org.junit.jupiter.api.Test;

/** The PixelCNN decoder: causality, a normalised p(x|z), and draws that follow it. */
class AutoregressiveDecoderTest {
    /** A conv VAE on side x side one-channel images with a 3-layer autoregressive decoder. */
    private static VaeSpec spec(int side) {
        return VaeSpec.builder(1, side, side).arch(VaeSpec.Arch.CONV).channels(4).hidden(8).latent(2)
                .activation(VaeSpec.Activation.TANH).pixelLayers(3).pixelChannels(4).build();
    }

    private static float[] run(MaskedConv2d c, ParameterStore ps, NDManager m, float[] x, Shape shape) {
        try (NDManager s = m.newSubManager()) {
            return c.forward(ps, new NDList(s.create(x, shape)), false).singletonOrThrow().toFloatArray();
        }
    }

    @Test
    void maskedConvolutionSeesOnlyEarlierPixels() {
        int side = 6;
        int d = side * side;
        for (MaskedConv2d.Type type : MaskedConv2d.Type.values()) {
            try (NDManager m = Runtime.newManager()) {
                Runtime.seed(1);
                int in = 2;
                int out = 3;
                MaskedConv2d c = new MaskedConv2d(type, type == MaskedConv2d.Type.A ? 7 : 3, out);
                Shape shape = new Shape(1, in, side, side);
                c.initialize(m, DataType.FLOAT32, shape);
                ParameterStore ps = new ParameterStore(m, false);
                java.util.Random r = new java.util.Random(2);
                float[] x = new float[in * d];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                float[] base = run(c, ps, m, x, shape);
                for (int j = 0; j < d; j++) {
                    float[] x2 = x.clone();
                    for (int ch = 0; ch < in; ch++) {
                        x2[ch * d + j] += 1f; // change input pixel j in every channel
                    }
                    float[] y = run(c, ps, m, x2, shape);
                    int firstSeen = type == MaskedConv2d.Type.A ? j + 1 : j;
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < d; i++) {
                            float delta = Math.abs(y[o * d + i] - base[o * d + i]);
                            if (i < firstSeen) {
                                assertEquals(0f, delta, 1e-6f, type + ": output pixel " + i + " moved with input pixel " + j);
                            }
                        }
                    }
                    if (firstSeen < d && (firstSeen % side) != 0) { // the next pixel in the row sees j
                        double moved = 0;
                        for (int o = 0; o < out; o++) {
                            moved += Math.abs(y[o * d + firstSeen] - base[o * d + firstSeen]);
                        }
                        assertTrue(moved > 1e-4, type + ": output pixel " + firstSeen + " does not see input pixel " + j);
                    }
                }
            }
        }
    }

    @Test
    void decoderLogitIDependsOnlyOnPixelsBeforeI() {
        int side = 4;
        int d = side * side;
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(4);
            VaeModel model = VaeModel.create(spec(side), m);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray z = m.randomNormal(new Shape(1, 2));
            java.util.Random r = new java.util.Random(3);
            float[] x = new float[d];
            for (int i = 0; i < d; i++) {
                x[i] = r.nextBoolean() ? 1f : 0f;
            }
            float[] base = model.decode(ps, z, null, m.create(x, new Shape(1, d)), false).toFloatArray();
            int later = 0;
            for (int j = 0; j < d; j++) {
                float[] x2 = x.clone();
                x2[j] = 1f - x2[j];
                float[] l = model.decode(ps, z, null, m.create(x2, new Shape(1, d)), false).toFloatArray();
                for (int i = 0; i <= j; i++) {
                    assertEquals(base[i], l[i], 1e-5f, "logit " + i + " moved with pixel " + j);
                }
                for (int i = j + 1; i < d; i++) {
                    later += Math.abs(base[i] - l[i]) > 1e-5 ? 1 : 0;
                }
            }
            assertTrue(later > d, "later logits hardly depend on earlier pixels: " + later + " changes");
        }
    }

    /** log p(x|z) of every one of the 2^d binary images, for one z: [2^d]. */
    private static float[] logLikelihoodOfAll(VaeModel model, ParameterStore ps, NDManager m, NDArray z1, int d) {
        int n = 1 << d;
        float[] all = new float[n * d];
        for (int v = 0; v < n; v++) {
            for (int i = 0; i < d; i++) {
                all[v * d + i] = (v >> i & 1) == 1 ? 1f : 0f;
            }
        }
        NDArray x = m.create(all, new Shape(n, d));
        NDArray z = m.zeros(new Shape(n, 1)).add(z1);
        return model.logLikelihood(ps, x, model.decode(ps, z, null, x, false)).toFloatArray();
    }

    @Test
    void pOfXGivenZSumsToOneOverAllImages() {
        int d = 16; // 4x4: 65,536 images
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(6);
            VaeModel model = VaeModel.create(spec(4), m);
            ParameterStore ps = new ParameterStore(m, false);
            for (int trial = 0; trial < 2; trial++) {
                float[] lp = logLikelihoodOfAll(model, ps, m, m.randomNormal(new Shape(1, 2)).mul(2), d);
                assertEquals(0.0, Bounds.logMeanExp(lp) + d * Math.log(2), 1e-4, "log sum_x p(x|z)");
            }
        }
    }

    @Test
    void pixelByPixelDrawsFollowTheModelsProbabilities() {
        int d = 4; // 2x2: 16 images
        int n = 40_000;
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(8);
            VaeModel model = VaeModel.create(spec(2), m);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray z1 = m.randomNormal(new Shape(1, 2));
            float[] lp = logLikelihoodOfAll(model, ps, m, z1, d);
            NDArray h = model.features(ps, m.zeros(new Shape(n, 1)).add(z1), null, false);
            NDArray[] drawn = model.sampleAutoregressive(ps, h, m);
            float[] x = drawn[0].toFloatArray();
            int[] count = new int[1 << d];
            for (int r = 0; r < n; r++) {
                int v = 0;
                for (int i = 0; i < d; i++) {
                    v |= (x[r * d + i] > 0.5f ? 1 : 0) << i;
                }
                count[v]++;
            }
            for (int v = 0; v < count.length; v++) {
                double p = Math.exp(lp[v]);
                double se = Math.sqrt(p * (1 - p) / n);
                assertEquals(p, count[v] / (double) n, 4.5 * se + 1e-4, "frequency of image " + v);
            }
            // The shown probabilities are the model's p(x_i = 1 | x_<i, z) at the drawn pixels.
            NDArray teacher = model.decode(ps, m.zeros(new Shape(n, 1)).add(z1), null, drawn[0], false)
                    .getNDArrayInternal().sigmoid();
            assertTrue(teacher.allClose(drawn[1], 1e-5, 1e-6, false), "probabilities shown while drawing");
        }
    }

    /** On an image taller than a logit's reach, the strips the drawing passes use give the full image's logits. */
    @Test
    void drawingOnStripsGivesTheFullImagesProbabilities() {
        int side = 12;
        try (NDManager m = Runtime.newManager()) {
            Runtime.seed(10);
            VaeModel model = VaeModel.create(spec(side), m);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray z = m.randomNormal(new Shape(3, 2));
            NDArray[] drawn = model.sampleAutoregressive(ps, model.features(ps, z, null, false), m);
            NDArray teacher = model.decode(ps, z, null, drawn[0], false).getNDArrayInternal().sigmoid();
            assertTrue(teacher.allClose(drawn[1], 1e-5, 1e-6, false), "probabilities shown while drawing");
            float[] x = drawn[0].toFloatArray();
            double ones = 0;
            for (float v : x) {
                assertTrue(v == 0f || v == 1f);
                ones += v;
            }
            assertTrue(ones > 0 && ones < x.length, "draws are all " + (ones > 0 ? "ones" : "zeros"));
        }
    }
}
