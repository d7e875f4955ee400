package org.diffusion4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every example as a user would, and checks what it produced. */
class ExamplesTest {
    private static final Path HOME = Path.of(System.getProperty("diffusion4j.home", ".."));

    @Test
    void sampleBundledDrawsDigits(@TempDir Path dir) {
        Path png = dir.resolve("digits.png");
        float[] x = SampleBundled.run(HOME.resolve("models/ddpm-mnist.safetensors"), png, 8, 0);
        assertTrue(Files.isRegularFile(png), "grid written");
        assertEquals(8 * 28 * 28, x.length);
        // MNIST digits are mostly background: about 13% ink on average. Pure noise would be near
        // 50% and a blank image 0%, so the mean intensity tells digits from a broken model.
        double ink = 0;
        for (float v : x) {
            ink += (Math.max(-1, Math.min(1, v)) + 1) / 2;
        }
        ink /= x.length;
        assertTrue(ink > 0.06 && ink < 0.25, "mean intensity of the samples " + ink);
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
