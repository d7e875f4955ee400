package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.Noise;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.train.NamedArrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The samples of a seed do not depend on how they are computed (batch size, threads, parts): bit
 * for bit, with exact sampling (the default), which calls the network with fixed chunks of rows
 * aligned to the sample index; a saved model loads back bit for bit, and every bad argument of a
 * request is refused in one line. Without exact sampling PyTorch's matrix products and
 * convolutions round a row differently in the last bits depending on how many rows the call has,
 * so across batch sizes the samples agree to float rounding only.
 */
class SamplingTest {
    /** A tiny U-Net on 8x8 images: the determinism does not depend on the network's size. */
    private static final DdpmSpec SPEC = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 8, 8, NoiseSchedule.ddpm(), LossType.L2);
    /** SDE-DPM-Solver++ with eta 1.1: fresh noise at every step, the bundled model's sampler. */
    private static final SamplerSettings SDE = SamplerSettings.of(SamplerSettings.Kind.DPMPP_2M_SDE).withSteps(5).withEta(1.1);

    private static Ddpm ddpm;

    @BeforeAll
    static void create() {
        TorchRuntime.init();
        ddpm = Ddpm.create(SPEC, 3);
        ddpm.setDefaultSampler(SDE);
    }

    @AfterAll
    static void close() {
        ddpm.close();
    }

    private static float[] draw(int n, int batch, long seed, long first) {
        return draw(ddpm.sampling(n).batch(batch).seed(seed).firstSample(first));
    }

    private static float[] draw(Sampling request) {
        try (NDManager m = TorchRuntime.newManager()) {
            return request.manager(m).draw().toFloatArray();
        }
    }

    /** The largest difference the batch size makes without exact sampling (measured: 3e-5): the network's rounding, not the noise. */
    private static final float ROUNDING = 2e-4f;

    @Test
    void theBatchSizeDoesNotChangeTheSamples() {
        float[] one = draw(64, 1, 5, 0);
        float[] sixtyFour = draw(64, 64, 5, 0);
        assertArrayEquals(one, draw(64, 7, 5, 0), 0f, "batch 7");
        assertArrayEquals(one, sixtyFour, 0f, "batch 64");
        assertArrayEquals(one, draw(64, 100, 5, 0), 0f, "batch 100");
        float[] other = draw(64, 64, 6, 0);
        double far = 0;
        for (int i = 0; i < other.length; i++) {
            far = Math.max(far, Math.abs(other[i] - sixtyFour[i]));
        }
        assertTrue(far > 0.1, "another seed gives other samples (largest difference " + far + ")");
        // without exact sampling each batch is one network call: equal batches bit for bit, others to rounding
        float[] loose = draw(ddpm.sampling(64).batch(64).seed(5).exact(false));
        assertArrayEquals(loose, draw(ddpm.sampling(64).batch(64).seed(5).exact(false)), 0f, "the same batch size");
        assertArrayEquals(loose, draw(ddpm.sampling(64).batch(7).seed(5).exact(false)), ROUNDING, "batch 7, not exact");
        assertArrayEquals(one, loose, ROUNDING, "exact and not: to rounding");
    }

    @Test
    void exactSamplingCallsTheNetworkWithWholeChunksOnly() {
        int[] rows = new int[64];
        int[] calls = {0};
        Sampling request = ddpm.sampling(11).seed(5).firstSample(29).batch(3).sampler(SDE.withSteps(2)).listener((i, count, t, xt, x0) -> {
            calls[0]++;
            rows[(int) xt.getShape().get(0)]++;
        });
        assertEquals(2, request.partCount(), "samples 29..39: chunks 0 and 1 (of 32), one chunk per part");
        assertEquals(4, request.networkCalls());
        assertEquals(11, draw(request).length / 64);
        assertEquals(4, calls[0]);
        assertEquals(2, rows[3], "the listener sees samples 29, 30, 31 of chunk 0");
        assertEquals(2, rows[8], "and samples 32..39 of chunk 1");
        Sampling loose = ddpm.sampling(11).batch(3).exact(false);
        assertEquals(4, loose.partCount());
        assertEquals(0, loose.exactChunk());
        assertEquals(Sampling.EXACT_CHUNK, ddpm.sampling(1).exactChunk(), "exact by default");
        assertEquals(1, ddpm.sampling(40).batch(64).partCount(), "a batch of 64 is 2 chunks");
    }

    @Test
    void twoThreadsAtOnceGiveTheSingleThreadSamples() throws Exception {
        float[] alone = draw(16, 16, 9, 0);
        float[] other = draw(16, 16, 10, 0);
        float[] single = draw(1, 1, 9, 3);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                Future<float[]> a = pool.submit(() -> draw(16, 16, 9, 0));
                Future<float[]> b = pool.submit(() -> draw(16, 16, 10, 0));
                assertArrayEquals(alone, a.get(), 0f, "thread 1, round " + round);
                assertArrayEquals(other, b.get(), 0f, "thread 2, round " + round);
            }
            // a pool thread has PyTorch's grad mode on (DJL turns it off only where the engine
            // loaded), which once changed a batch of one in the last bit
            assertArrayEquals(single, pool.submit(() -> draw(1, 1, 9, 3)).get(), 0f, "one sample, another thread");
            assertArrayEquals(Arrays.copyOfRange(alone, 3 * 64, 4 * 64), single, 0f, "one sample of a run of sixteen");
            assertFalse(pool.submit(org.diffusion4j.TorchRuntime::threads).get() < 1);
            assertTrue(pool.submit(ai.djl.pytorch.jni.JniUtils::isGradMode).get(), "sampling gives a thread its grad mode back");
        } finally {
            pool.shutdown();
        }
    }

    /**
     * PyTorch's thread count is per thread: one that used PyTorch keeps its count when another
     * thread changes it (seen: 2 after the main thread set 1). Sampling gives it the count set last.
     */
    @Test
    void aSamplingThreadTakesTheThreadCountSetLater() throws Exception {
        int before = TorchRuntime.threads();
        int other = before == 1 ? 2 : 1;
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            float[] early = pool.submit(() -> draw(1, 1, 4, 0)).get(); // the pool's thread meets PyTorch at the old count
            TorchRuntime.setThreads(other);
            assertEquals(other, (int) pool.submit(() -> {
                try (TorchRuntime.InferenceScope scope = TorchRuntime.inference()) {
                    return ai.djl.pytorch.jni.JniUtils.getNumThreads();
                }
            }).get());
            assertArrayEquals(draw(1, 1, 4, 0), pool.submit(() -> draw(1, 1, 4, 0)).get(), 0f, "main and pool thread at the new count");
            TorchRuntime.setThreads(before);
            assertArrayEquals(early, pool.submit(() -> draw(1, 1, 4, 0)).get(), 0f, "back at the old count");
        } finally {
            TorchRuntime.setThreads(before);
            pool.shutdown();
        }
    }

    @Test
    void aJobSplitInPartsGivesTheSamplesOfOneRun() {
        float[] whole = draw(40, 64, 21, 0);
        float[] head = draw(5, 64, 21, 0);
        float[] middle = draw(14, 3, 21, 5);
        float[] tail = draw(21, 8, 21, 19);
        float[] joined = new float[whole.length];
        System.arraycopy(head, 0, joined, 0, head.length);
        System.arraycopy(middle, 0, joined, head.length, middle.length);
        System.arraycopy(tail, 0, joined, head.length + middle.length, tail.length);
        assertArrayEquals(whole, joined, 0f, "parts 0..4, 5..18, 19..39: bit for bit");
        assertArrayEquals(Arrays.copyOfRange(whole, 17 * 64, 18 * 64), draw(1, 1, 21, 17), 0f, "sample 17 alone");
    }

    /** A class-conditional model with guidance: each sample keeps its class and its bits, whatever the parts and batches. */
    @Test
    void conditionalSamplesWithGuidanceAreExactToo() {
        DdpmSpec conditional = DdpmSpec.unet(UNetConfig.preset("tiny", 1).toBuilder().numClasses(3).build(), 1, 8, 8,
                NoiseSchedule.ddpm(), LossType.L2);
        int[] labels = new int[20];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (i * 7) % 4; // 3: the null class
        }
        try (Ddpm c = Ddpm.create(conditional, 4)) {
            c.setDefaultSampler(SDE.withSteps(3));
            // the class embedding starts at zero (a new model ignores the class): give it values
            NamedArrays params = NamedArrays.parametersOf(c.network());
            for (int i = 0; i < params.size(); i++) {
                if (params.name(i).contains("class_emb")) {
                    ai.djl.ndarray.NDArray e = params.get(i);
                    float[] v = new float[(int) e.size()];
                    for (int j = 0; j < v.length; j++) {
                        v[j] = (float) Math.sin(j * 0.7) * 0.5f;
                    }
                    e.set(v);
                }
            }
            float[] whole = draw(c.sampling(20).classLabels(labels).guidance(2.0).seed(8));
            float[] one = draw(c.sampling(20).classLabels(labels).guidance(2.0).seed(8).batch(1));
            assertArrayEquals(whole, one, 0f, "batch 1");
            float[] head = draw(c.sampling(7).classLabels(Arrays.copyOfRange(labels, 0, 7)).guidance(2.0).seed(8));
            float[] tail = draw(c.sampling(13).classLabels(Arrays.copyOfRange(labels, 7, 20)).guidance(2.0).seed(8).firstSample(7)
                    .batch(5));
            assertArrayEquals(Arrays.copyOfRange(whole, 0, 7 * 64), head, 0f, "samples 0..6");
            assertArrayEquals(Arrays.copyOfRange(whole, 7 * 64, 20 * 64), tail, 0f, "samples 7..19");
            float[] seven = draw(c.sampling(1).classLabel(labels[9]).guidance(2.0).seed(8).firstSample(9));
            assertArrayEquals(Arrays.copyOfRange(whole, 9 * 64, 10 * 64), seven, 0f, "sample 9 alone, of its class");
            float[] otherClass = draw(c.sampling(1).classLabel((labels[9] + 1) % 3).guidance(2.0).seed(8).firstSample(9));
            assertFalse(Arrays.equals(seven, otherClass), "another class, another sample");
        }
    }

    @Test
    void sampleUsesTheRecommendedSamplerAndSeedZero() {
        try (NDManager m = TorchRuntime.newManager()) {
            float[] viaSettings = ddpm.sampling(3).sampler(SDE).manager(m).draw().toFloatArray();
            float[] viaObject = ddpm.sampling(3).sampler(ddpm.samplerFor(SDE)).manager(m).draw().toFloatArray();
            assertArrayEquals(viaSettings, draw(3, 64, 0, 0), 0f);
            assertArrayEquals(viaSettings, viaObject, 0f);
            assertArrayEquals(viaSettings, ddpm.sample(3).toFloatArray(), 0f);
        }
    }

    /** The noise of sample i is standard normal and the same whichever row of a draw it is computed in. */
    @Test
    void perSampleNoiseIsStandardNormalAndIndexedBySample() {
        try (NDManager m = TorchRuntime.newManager()) {
            float[] rows = Noise.perSample(4, 0).normal(2, new Shape(50, 1000), m).toFloatArray();
            double mean = 0;
            double sq = 0;
            for (float v : rows) {
                mean += v;
                sq += (double) v * v;
            }
            mean /= rows.length;
            double var = sq / rows.length - mean * mean;
            // 50,000 draws: the standard error of the mean is 0.0045, of the variance 0.0063
            assertEquals(0, mean, 0.02, "mean");
            assertEquals(1, var, 0.03, "variance");
            float[] row7 = Noise.perSample(4, 7).normal(2, new Shape(1, 1000), m).toFloatArray();
            assertArrayEquals(Arrays.copyOfRange(rows, 7000, 8000), row7, 0f);
            float[] otherDraw = Noise.perSample(4, 7).normal(3, new Shape(1, 1000), m).toFloatArray();
            assertFalse(Arrays.equals(row7, otherDraw), "each draw has its own noise");
            // no correlation between neighbouring samples, between draws, between seeds (50,000 pairs: sd 0.0045)
            float[] nextDraw = Noise.perSample(4, 0).normal(3, new Shape(50, 1000), m).toFloatArray();
            float[] nextSeed = Noise.perSample(5, 0).normal(2, new Shape(50, 1000), m).toFloatArray();
            float[] nextSample = Noise.perSample(4, 1).normal(2, new Shape(50, 1000), m).toFloatArray();
            assertEquals(0, correlation(rows, nextDraw), 0.02, "draws 2 and 3");
            assertEquals(0, correlation(rows, nextSeed), 0.02, "seeds 4 and 5");
            assertEquals(0, correlation(rows, nextSample), 0.02, "samples i and i + 1");
        }
    }

    private static double correlation(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void aSavedModelLoadsBackBitForBit(@TempDir Path dir) {
        Path file = dir.resolve("tiny.safetensors");
        ddpm.save(file);
        assertTrue(Files.isRegularFile(file));
        try (Ddpm back = Ddpm.load(file); NDManager m = TorchRuntime.newManager()) {
            NamedArrays a = NamedArrays.parametersOf(ddpm.network());
            NamedArrays b = NamedArrays.parametersOf(back.network());
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.name(i), b.name(i));
                assertArrayEquals(a.get(i).toFloatArray(), b.get(i).toFloatArray(), 0f, a.name(i));
            }
            assertEquals(SPEC, back.spec());
            assertEquals(SDE, back.defaultSampler(), "the recommended sampler is kept");
            assertArrayEquals(draw(4, 64, 2, 0), back.sampling(4).seed(2).manager(m).draw().toFloatArray(), 0f);
        }
    }

    @Test
    void badArgumentsAreRefusedInOneLine() {
        assertMessage("n 0 must be >= 1 (the number of samples)", () -> ddpm.sampling(0).draw());
        assertMessage("batch 0 must be >= 1 (samples per network call)", () -> ddpm.sampling(4).batch(0).draw());
        assertMessage("chunk 0 must be >= 1 (rows per network call of exact sampling)", () -> ddpm.sampling(4).chunk(0));
        assertMessage("steps 0 must be >= 1", () -> SamplerSettings.of(SamplerSettings.Kind.DDIM).withSteps(0));
        assertMessage("steps -1 must be >= 1 (or 0: all T)", () -> SamplerSettings.ddpm().withSteps(-1));
        assertMessage("steps 2000 must be in 1..1000 (the schedule's T)",
                () -> ddpm.sampling(1).sampler(SamplerSettings.of(SamplerSettings.Kind.DDIM).withSteps(2000)).draw());
        NoiseSchedule short100 = NoiseSchedule.linear(100, 1e-4, 0.02);
        assertMessage("sampler on linear(T=100, 1.0E-4 -> 0.02) does not fit this model's schedule linear(T=1000, 1.0E-4 -> 0.02); "
                + "build it on ddpm.spec().schedule()", () -> ddpm.sampling(1).sampler(new DdimSampler(short100, 10, 0, true)).draw());
        assertEquals("this model is not class-conditional: it was trained without labels; sample it without a class",
                assertThrows(org.diffusion4j.UserException.class, () -> ddpm.sampling(1).classLabel(3).draw()).getMessage());
        DdpmSpec conditional = DdpmSpec.unet(UNetConfig.preset("tiny", 1).toBuilder().numClasses(3).build(), 1, 8, 8,
                NoiseSchedule.ddpm(), LossType.L2);
        try (Ddpm c = Ddpm.create(conditional, 1)) {
            assertMessage("label 5 is not a class of this model: give 0..2 (or 3, the null class)",
                    () -> c.sampling(2).classLabel(5).draw());
            assertMessage("classLabels 1 labels must give one label per sample (2)", () -> c.sampling(2).classLabels(1).draw());
            assertEquals(6, c.sampling(6).oneRowPerClass().sampler(SDE.withSteps(2)).draw().getShape().get(0));
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
