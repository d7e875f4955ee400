package org.diffusion4j.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.vae.VaeSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaePipelineTest {
    /** The tests run single-threaded (the machine is shared); other test classes get the thread count back. */
    private static int threadsBefore;

    @org.junit.jupiter.api.BeforeAll
    static void rememberThreads() {
        threadsBefore = org.diffusion4j.Runtime.threads();
    }

    @org.junit.jupiter.api.AfterAll
    static void restoreThreads() {
        org.diffusion4j.Runtime.setThreads(threadsBefore);
    }

    private static VaeSpec classPrior(int classes, int latent) {
        return VaeSpec.builder(16).hidden(8).latent(latent).conditional(VaeSpec.Conditional.CLASS_PRIOR, classes).build();
    }

    @Test
    void classPriorSamplesAroundItsClassMean() {
        try (NDManager m = Runtime.newManager(); Vae vae = Vae.create(classPrior(4, 3), m, 1)) {
            float[] means = {0, 0, 0, 5, -3, 1, -2, 4, 0.5f, 1, 1, -6};
            try (NDArray src = m.create(means, new Shape(4, 3))) {
                src.copyTo(vae.model().classMeans());
            }
            int n = 20_000;
            for (int y = 0; y < 4; y++) {
                int[] classes = new int[n];
                java.util.Arrays.fill(classes, y);
                try (NDManager s = m.newSubManager()) {
                    NDArray z = vae.priorSample(classes, n, 7, s);
                    float[] mean = z.mean(new int[] {0}).toFloatArray();
                    float[] var = z.sub(z.mean(new int[] {0})).square().mean(new int[] {0}).toFloatArray();
                    for (int j = 0; j < 3; j++) {
                        // standard error 1/sqrt(20000) = 0.007
                        assertEquals(means[y * 3 + j], mean[j], 0.04, "class " + y + " dim " + j);
                        assertEquals(1.0, var[j], 0.05, "unit variance, class " + y + " dim " + j);
                    }
                }
            }
        }
    }

    @Test
    void classOutsideTheLabelsIsAClearError() {
        try (NDManager m = Runtime.newManager(); Vae vae = Vae.create(classPrior(10, 2), m, 1)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> vae.sample(new int[] {10}, 1, 0, m));
            assertEquals("classLabel", e.argument());
            assertEquals("10", e.value());
            assertEquals("is outside the labels 0..9 of this model", e.problem());
            assertThrows(UserException.class, () -> vae.checkClass(-1));
        }
        try (NDManager m = Runtime.newManager(); Vae vae = Vae.create(VaeSpec.builder(16).hidden(8).latent(2).build(), m, 1)) {
            UserException e = assertThrows(UserException.class, () -> vae.checkClass(3));
            assertTrue(e.getMessage().contains("conditional"), e.getMessage());
        }
    }

    /** Binary draws x ~ p(x|z): a factorised decoder's average over many draws at one z is its mean (Monte Carlo). */
    @Test
    void binaryDrawsOfAFactorisedDecoderAverageToItsMean() {
        int n = 4000;
        try (NDManager m = Runtime.newManager(); Vae vae = Vae.create(VaeSpec.builder(16).hidden(8).latent(2).build(), m, 3)) {
            NDArray z = m.create(new float[] {0.7f, -1.2f}, new Shape(1, 2)).repeat(0, n);
            float[] mean = vae.decode(z.get("0:1"), null, m).toFloatArray();
            float[] draws = vae.decode(z, null, true, m).toFloatArray();
            for (int i = 0; i < 16; i++) {
                double sum = 0;
                for (int r = 0; r < n; r++) {
                    float v = draws[r * 16 + i];
                    assertTrue(v == 0f || v == 1f, "binary, got " + v);
                    sum += v;
                }
                // standard error <= 0.5 / sqrt(4000) = 0.008
                assertEquals(mean[i], sum / n, 0.04, "pixel " + i);
            }
        }
    }

    /** A PixelCNN decoder's binary draws are the pixels behind the probabilities it shows: x_i = 1 with probability p_i. */
    @Test
    void binaryDrawsOfAPixelDecoderFollowItsProbabilities() {
        VaeSpec spec = VaeSpec.builder(1, 6, 6).arch(VaeSpec.Arch.CONV).channels(4).hidden(8).latent(2)
                .activation(VaeSpec.Activation.TANH).pixelLayers(3).pixelChannels(4).build();
        try (NDManager m = Runtime.newManager(); Vae vae = Vae.create(spec, m, 5)) {
            NDArray z = vae.priorSample(null, 300, 2, m);
            // The same seed gives the same pass: once returning the draws, once their probabilities.
            Runtime.seed(11);
            float[] x = vae.decode(z, null, true, m).toFloatArray();
            Runtime.seed(11);
            float[] p = vae.decode(z, null, false, m).toFloatArray();
            double diff = 0;
            double var = 0;
            for (int i = 0; i < x.length; i++) {
                assertTrue(x[i] == 0f || x[i] == 1f, "binary, got " + x[i]);
                diff += x[i] - p[i];
                var += p[i] * (1 - p[i]);
            }
            // E[x_i - p_i | p_i] = 0; the sum has variance sum p(1-p): within 4 standard deviations.
            assertTrue(Math.abs(diff) < 4 * Math.sqrt(var), "sum of x - p " + diff + ", sd " + Math.sqrt(var));
            assertTrue(var > 10, "the draws are random at all: " + var);
        }
        try (NDManager m = Runtime.newManager();
                Vae vae = Vae.create(VaeSpec.builder(16).hidden(8).latent(2).likelihood(VaeSpec.Likelihood.GAUSSIAN).build(), m, 1)) {
            UserException e = assertThrows(UserException.class, () -> vae.sample(null, 2, 0, true, m));
            assertTrue(e.getMessage().contains("Bernoulli"), e.getMessage());
        }
    }

    private static DataSet mnist(int n) {
        return Mnist.train().subset(n);
    }

    private static List<Float> train(VaeSpec spec, DataSet d, Path dir, long steps, boolean resume) {
        TrainConfig cfg = TrainConfig.builder().steps(steps).batchSize(32).lr(1e-3).warmupSteps(0).gradClip(0)
                .emaDecay(0.99).seed(4).checkpointEvery(10_000).sampleEvery(0).logEvery(10_000).threads(1).build();
        Batcher batcher = Batcher.builder(d).batchSize(32).seed(4).binarize(true).build();
        BatchSource source = (step, m) -> {
            Batcher.Batch b = batcher.batch(step);
            return new Batch(b.toNDArray(m), b.labelsNDArray(m));
        };
        try (NDManager m = Runtime.newManager(); Vae vae = Vae.create(spec, m, 4)) {
            VaeTask task = new VaeTask(vae, "{}", null);
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, task.source(source), cfg, m))) {
                if (resume) {
                    t.restore(Checkpoint.read(dir.resolve(Trainer.CHECKPOINT), m));
                }
                return t.run().losses();
            }
        }
    }

    @Test
    void lossFallsOnAnMnistSubset(@TempDir Path dir) {
        VaeSpec spec = VaeSpec.preset("iwae", 1, 28, 28).hidden(100).latent(10).build();
        List<Float> l = train(spec, mnist(2000), dir, 300, false);
        double first = l.subList(0, 20).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        double last = l.subList(280, 300).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        // starts near 784 log 2 = 543 nats; an MLP VAE is well below 250 after a few hundred steps
        assertTrue(first > 400, "first " + first);
        assertTrue(last < 0.5 * first && last < 250, "loss " + first + " -> " + last);
    }

    @Test
    void resumedRunEqualsUninterruptedOne(@TempDir Path a, @TempDir Path b) {
        // class-prior with KL warm-up: the class means, warm-up and per-step binarisation all resume exactly
        VaeSpec spec = VaeSpec.preset("iwae", 1, 28, 28).hidden(32).latent(4).klWarmup(30)
                .conditional(VaeSpec.Conditional.CLASS_PRIOR, 10).build();
        DataSet d = mnist(500);
        List<Float> whole = train(spec, d, a, 40, false);
        List<Float> first = train(spec, d, b, 15, false);
        List<Float> rest = train(spec, d, b, 40, true);
        assertEquals(15, first.size());
        assertEquals(25, rest.size());
        for (int i = 0; i < 40; i++) {
            float x = i < 15 ? first.get(i) : rest.get(i - 15);
            assertEquals(whole.get(i), x, 1e-5 * Math.abs(whole.get(i)), "step " + (i + 1));
        }
    }
}
