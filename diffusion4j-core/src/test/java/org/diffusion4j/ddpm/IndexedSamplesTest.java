package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.SamplerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job split into index ranges, drawn in parallel as a cluster's executors would, gives one
 * process's samples by index, bit for bit; the ranges cover the job once, cut at batch multiples.
 */
class IndexedSamplesTest {
    private static final DdpmSpec SPEC = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 8, 8, NoiseSchedule.ddpm(), LossType.L2);
    private static final SamplerSettings SDE = SamplerSettings.of(SamplerSettings.Kind.DPMPP_2M_SDE).withSteps(3).withEta(1.1);

    @Test
    void partitionsCoverTheJobOnceAtBatchMultiples() {
        for (long n : new long[] {1, 2, 7, 64, 65, 1000}) {
            for (int parts : new int[] {1, 2, 3, 8}) {
                for (int batch : new int[] {1, 2, 64}) {
                    List<long[]> p = IndexedSamples.partitions(n, parts, batch);
                    assertTrue(p.size() <= parts && p.size() >= 1);
                    long next = 0;
                    for (long[] r : p) {
                        assertEquals(next, r[0], n + "/" + parts + "/" + batch);
                        assertEquals(0, r[0] % batch);
                        assertTrue(r[1] >= 1, "no empty range");
                        next += r[1];
                    }
                    assertEquals(n, next);
                }
            }
        }
        assertEquals(List.of(0L, 2L, 2L, 2L, 4L, 3L), flat(IndexedSamples.partitions(7, 3, 2)));
        assertThrows(InvalidArgumentException.class, () -> IndexedSamples.partitions(0, 2, 2));
        assertThrows(InvalidArgumentException.class, () -> IndexedSamples.partitions(5, 0, 2));
    }

    @Test
    void balancedLabelsAreThoseOfTheWholeJob() {
        for (int n : new int[] {1, 7, 10, 23, 100}) {
            int[] expected = Ddpm.Guide.balanced(n, 10, 1.0).labels();
            for (int i = 0; i < n; i++) {
                assertEquals(expected[i], IndexedSamples.balancedLabel(i, n, 10), n + " " + i);
            }
        }
    }

    @Test
    void partitionsDrawnInParallelAreOneProcesssSamples(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.safetensors");
        try (Ddpm created = Ddpm.create(SPEC, 3)) {
            created.save(file);
        }
        Ddpm ddpm = IndexedSamples.shared(file, Device.cpu());
        assertSame(ddpm, IndexedSamples.shared(file, Device.cpu()), "loaded once per JVM");
        int n = 7;
        int batch = 2;
        float[] whole = Pictures.toDisplay(SPEC, ddpm.sampling(n).batch(batch).sampler(SDE).seed(11).draw());
        // Another instance of the model (another executor's) gives the same bits, as do batches
        // drawn in other threads (before exact sampling: 1 ulp in a batch of one drawn in a pool's
        // thread, whose grad mode was on).
        try (Ddpm single = Ddpm.load(file)) {
            assertNotSame(single, ddpm);
            assertArrayEquals(whole, Pictures.toDisplay(SPEC, single.sampling(n).batch(5).sampler(SDE).seed(11).draw()), 0f);
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<IndexedSamples.Row> rows = new ArrayList<>();
        try {
            List<Future<List<IndexedSamples.Row>>> parts = new ArrayList<>();
            for (long[] r : IndexedSamples.partitions(n, 3, batch)) {
                parts.add(pool.submit(() -> IndexedSamples.draw(ddpm, SDE, 11, n, r[0], (int) r[1], batch)));
            }
            for (Future<List<IndexedSamples.Row>> f : parts) {
                rows.addAll(f.get());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(n, rows.size());
        int size = 64;
        for (int i = 0; i < n; i++) {
            IndexedSamples.Row row = rows.get(i);
            assertEquals(i, row.index());
            assertEquals(11, row.seed());
            assertEquals(-1, row.label());
            float[] expected = new float[size];
            System.arraycopy(whole, i * size, expected, 0, size);
            assertArrayEquals(expected, row.values(), 0f, "sample " + i);
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(row.png()));
            assertEquals(8, img.getWidth());
            assertEquals(8, img.getHeight());
        }
        assertThrows(InvalidArgumentException.class, () -> IndexedSamples.draw(ddpm, SDE, 11, n, 6, 2, batch));
    }

    private static List<Long> flat(List<long[]> p) {
        List<Long> out = new ArrayList<>();
        for (long[] r : p) {
            out.add(r[0]);
            out.add(r[1]);
        }
        return out;
    }
}
