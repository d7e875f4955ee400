package org.diffusion4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.classifier.Classifier;
import org.diffusion4j.diffusion.SamplerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every example as a user would, and checks what it produced against independent measures. */
class ExamplesTest {
    private static final Path HOME = Path.of(System.getProperty("diffusion4j.home", ".."));

    /** The share of ink: MNIST digits are mostly background, about 13% on average; noise is near 50%, a blank image 0%. */
    private static double ink(float[] minusOneOne) {
        double ink = 0;
        for (float v : minusOneOne) {
            ink += (Math.max(-1, Math.min(1, v)) + 1) / 2;
        }
        return ink / minusOneOne.length;
    }

    @Test
    void sampleBundledDrawsDigits(@TempDir Path dir) {
        Path png = dir.resolve("digits.png");
        float[] x = SampleBundled.run(HOME.resolve("models/ddpm-mnist.safetensors"), png, 8, 0);
        assertTrue(Files.isRegularFile(png), "grid written");
        assertEquals(8 * 28 * 28, x.length);
        assertTrue(ink(x) > 0.06 && ink(x) < 0.25, "mean intensity of the samples " + ink(x));
    }

    @Test
    void trainToy2DLearnsTheRing() {
        TrainToy2D.Result r = TrainToy2D.run(400);
        // Energy distance to fresh data: the untrained model's samples are far off; after 400
        // steps they lie within a few times the distance between two samples of the data itself.
        assertTrue(r.after() < r.before() / 5, r.toString());
        assertTrue(r.after() < 5 * r.floor(), r.toString());
    }

    @Test
    void trainTinyUNetSavesAModelThatLoadsAndSamples(@TempDir Path dir) {
        Path file = dir.resolve("tiny.safetensors");
        TrainTinyUNet.Result r = TrainTinyUNet.run(40, file, dir.resolve("tiny.png"));
        assertTrue(Files.isRegularFile(file) && Files.isRegularFile(dir.resolve("tiny.png")));
        // eps-prediction starts near E|eps|^2 = 1 and falls fast on digits
        double first = r.losses().subList(0, 5).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        double last = r.losses().subList(35, 40).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        assertTrue(first > 0.6 && last < 0.5 * first, "losses " + first + " -> " + last);
        assertEquals(SamplerSettings.of(SamplerSettings.Kind.DDIM).withSteps(20), r.loadedSampler(), "the file keeps its sampler");
        assertEquals(16 * 28 * 28, r.samples().length);
    }

    @Test
    void vaeEncodeDecodeReconstructsTheInputs(@TempDir Path dir) {
        VaeEncodeDecode.Result r = VaeEncodeDecode.run(HOME.resolve("models/vae-iwae.safetensors"), dir.resolve("r.png"), 8);
        assertTrue(Files.isRegularFile(dir.resolve("r.png")));
        assertEquals(8 * 50, r.means().length, "the bundled VAE has 50 latent dimensions");
        // each reconstruction is much closer to its own input than to the next digit's
        int d = 28 * 28;
        double own = 0;
        double other = 0;
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < d; j++) {
                own += Math.abs(r.inputs()[i * d + j] - r.reconstructions()[i * d + j]);
                other += Math.abs(r.inputs()[((i + 1) % 8) * d + j] - r.reconstructions()[i * d + j]);
            }
        }
        assertTrue(own < 0.5 * other, "mean distance to the own input " + own / (8 * d) + ", to another " + other / (8 * d));
    }

    @Test
    void drawDigitDrawsTheDigitAskedFor(@TempDir Path dir) {
        float[] x = DrawDigit.run(HOME.resolve("models/ddpm-mnist-cond.safetensors"), 7, 1.0, 8, dir.resolve("sevens.png"));
        float[] pixels = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            pixels[i] = (Math.max(-1, Math.min(1, x[i])) + 1) / 2;
        }
        // the bundled digit classifier (99.4% on MNIST's test set), independent of the DDPM
        try (NDManager m = TorchRuntime.newManager(); Classifier c = Classifier.load(HOME.resolve("models/classifier-mnist.safetensors"), m)) {
            int sevens = 0;
            for (int p : c.evaluate(pixels, 8, 8).predictions()) {
                sevens += p == 7 ? 1 : 0;
            }
            assertTrue(sevens >= 7, sevens + " of 8 samples classified as 7");
        }
    }

    @Test
    void trainVaeLearnsDigits() {
        TrainVae.Result r = TrainVae.run(300);
        double first = r.losses().subList(0, 20).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        double last = r.losses().subList(280, 300).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        // 784 pixels at log 2 each is 543 nats for a model that knows nothing; a small MLP VAE
        // goes well below 250 in a few hundred steps, and -IW_50 on test digits below 250 too.
        assertTrue(first > 400, "first losses " + first);
        assertTrue(last < 250, "last losses " + last);
        assertTrue(r.testNll() > 60 && r.testNll() < 250, "test NLL " + r.testNll());
    }
}
