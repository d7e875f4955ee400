package org.diffusion4j.classifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.classifier.DigitClassifier;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The digit classifier learns through the shared loop, and its weights-only file loads back. */
class ClassifierTrainingTest {
    @Test
    void learnsDigitsClearlyBetterThanChanceAndReloads(@TempDir Path dir) {
        DataSet train = Mnist.train().subset(2048);
        DataSet test = Mnist.test().subset(500);
        TrainConfig cfg = TrainConfig.builder().steps(60).batchSize(32).lr(2e-3).warmupSteps(10).gradClip(0)
                .emaDecay(0.9).seed(3).checkpointEvery(1000).sampleEvery(0).logEvery(1000).build();
        Batcher b = Batcher.builder(train).batchSize(32).seed(3).shuffle(true).dropLast(true).build();
        try (NDManager m = Runtime.newManager(); Classifier c = Classifier.create(DigitClassifier.Config.mnist(), m, 3)) {
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(new ClassifierTask(c, "{}"), ClassifierTask.source(b, 1, 3), cfg, m))) {
                t.run();
            }
            double acc = c.accuracy(test, 250);
            assertTrue(acc > 0.5, "accuracy after 60 steps on 2048 digits: " + acc + " (chance 0.1)");

            Path weights = dir.resolve("classifier.bin");
            Classifier.exportWeights(dir.resolve(Trainer.CHECKPOINT), weights, m);
            try (Classifier back = Classifier.load(weights, m); Classifier run = Classifier.load(dir, m)) {
                Classifier.Outputs a = back.evaluate(test.subset(8), 8);
                Classifier.Outputs r = run.evaluate(test.subset(8), 8);
                assertEquals(128, a.features()[0].length);
                for (int i = 0; i < 8; i++) {
                    assertArrayEquals(r.probabilities()[i], a.probabilities()[i], 1e-7);
                    assertEquals(1, java.util.Arrays.stream(a.probabilities()[i]).sum(), 1e-5);
                }
            }
        }
    }

    @Test
    void shiftMovesWholeImagesWithZeroFill() {
        float[] x = new float[2 * 16];
        x[5] = 1; // image 0: row 1, col 1
        x[16 + 10] = 2; // image 1: row 2, col 2
        float[] y = ClassifierTask.shift(x, new long[] {2, 1, 4, 4}, 1, new SplittableRandom(9));
        float s0 = 0, s1 = 0;
        for (int i = 0; i < 16; i++) {
            s0 += y[i];
            s1 += y[16 + i];
        }
        assertEquals(1, s0, 0, "a pixel away from the border stays in the image");
        assertEquals(2, s1, 0);
    }
}
