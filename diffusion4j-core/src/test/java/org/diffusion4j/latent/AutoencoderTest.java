package org.diffusion4j.latent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The autoencoder: its shapes, its range, and that training makes it reconstruct. */
class AutoencoderTest {
    @Test
    void latentShapesFollowTheLevels() {
        assertArrayEquals(new long[] {4, 7, 7}, AutoencoderConfig.defaults(1, 28, 28).latentShape());
        assertArrayEquals(new long[] {4, 8, 8}, AutoencoderConfig.defaults(3, 32, 32).latentShape());
        assertArrayEquals(new long[] {8, 14, 14},
                new AutoencoderConfig(1, 28, 28, new int[] {16}, 8, 8).latentShape());
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> new AutoencoderConfig(1, 28, 28, new int[] {16, 16, 16}, 4, 8));
        assertTrue(e.getMessage().contains("divisible by 8"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> new AutoencoderConfig(1, 28, 28, new int[] {12}, 4, 8));
        AutoencoderConfig c = AutoencoderConfig.defaults(3, 32, 32);
        assertEquals(c, AutoencoderConfig.fromJson(c.toJson()));
    }

    @Test
    void encodeAndDecodeShapesAndRange() {
        Runtime.init();
        try (NDManager m = Runtime.newManager(); Autoencoder ae = Autoencoder.create(AutoencoderConfig.defaults(3, 32, 32), m, 1)) {
            NDArray x = m.randomUniform(-1, 1, new Shape(5, 3, 32, 32));
            NDArray z = ae.encode(x);
            assertArrayEquals(new long[] {5, 4, 8, 8}, z.getShape().getShape());
            NDArray y = ae.decode(z.mul(100));
            assertArrayEquals(new long[] {5, 3, 32, 32}, y.getShape().getShape());
            assertTrue(y.max().getFloat() <= 1f && y.min().getFloat() >= -1f, "decoded images lie in [-1, 1]");
            assertThrows(InvalidArgumentException.class, () -> ae.decode(m.zeros(new Shape(2, 4, 7, 7))));
            assertThrows(InvalidArgumentException.class, () -> ae.encode(m.zeros(new Shape(2, 1, 32, 32))));
        }
    }

    /** 8x8 images of one bright square each: a small autoencoder learns to reconstruct them. */
    private static DataSet squares(int n) {
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[n * 64];
        for (int i = 0; i < n; i++) {
            int a = r.nextInt(6);
            int b = r.nextInt(6);
            for (int u = 0; u < 3; u++) {
                for (int v = 0; v < 3; v++) {
                    x[i * 64 + (a + u) * 8 + b + v] = 1f;
                }
            }
        }
        return new DataSet("squares", x, n, new long[] {1, 8, 8});
    }

    @Test
    void trainingReconstructsAndTheRunLoads(@TempDir Path dir) {
        Runtime.init();
        DataSet d = squares(256);
        AutoencoderConfig c = new AutoencoderConfig(1, 8, 8, new int[] {8, 16}, 4, 8);
        TrainConfig cfg = TrainConfig.builder().steps(300).batchSize(32).lr(3e-3).warmupSteps(20).emaDecay(0.9)
                .checkpointEvery(300).sampleEvery(0).logEvery(1000).threads(1).build();
        float[] recon;
        try (NDManager m = Runtime.newManager(); Autoencoder ae = Autoencoder.create(c, m, 2)) {
            Batcher b = Batcher.builder(d).batchSize(32).seed(1).shuffle(true).dropLast(true)
                    .scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
            AutoencoderTask task = new AutoencoderTask(ae, null, null);
            Trainer.Result r;
            try (RunFolder f = RunFolder.open(dir); Trainer t = f.attach(new Trainer(task, (step, mm) -> {
                Batcher.Batch bb = b.batch(step);
                return new Batch(mm.create(bb.x(), new Shape(bb.shape())), null);
            }, cfg, m))) {
                r = t.run();
            }
            List<Float> l = r.losses();
            double first = l.subList(0, 10).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
            double last = l.subList(l.size() - 10, l.size()).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
            assertTrue(last < first / 4, "L1 falls: " + first + " -> " + last);
        }
        try (NDManager m = Runtime.newManager(); Autoencoder loaded = Autoencoder.load(dir, m)) {
            assertEquals(c, loaded.config());
            recon = loaded.decodeAll(loaded.encodeAll(d), d.size());
        }
        double err = 0;
        for (int i = 0; i < recon.length; i++) {
            err += Math.abs(recon[i] - d.data()[i]);
        }
        err /= recon.length;
        assertTrue(err < 0.08, "the loaded EMA model reconstructs: mean |x - x'| = " + err);
    }
}
