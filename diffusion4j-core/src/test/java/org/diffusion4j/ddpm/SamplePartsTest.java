package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.nn.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sampling job cut short after two of three batches (exact, chunks of one row) and run again gives the samples of an uninterrupted one. */
class SamplePartsTest {
    private static final class Interrupted extends RuntimeException {}

    @Test
    void anInterruptedJobResumesToTheSameSamples(@TempDir Path tmp) {
        Path dir = tmp.resolve("s.npy.parts");
        try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.create(DdpmTrainingTest.TINY, m, 4)) {
            // eta 1: fresh noise at every step, so every batch draws many random numbers.
            DdimSampler ddim = new DdimSampler(ddpm.diffusion().schedule(), 4, 1.0, true);
            float[] whole = ddpm.sampling(5).batch(2).chunk(1).sampler(ddim).seed(11).manager(m).draw().toFloatArray();

            SampleParts first = SampleParts.open(dir, "job A\n");
            Ddpm.BatchStore cut = new Ddpm.BatchStore() {
                @Override
                public NDArray load(int i, NDManager mm) {
                    return first.load(i, mm);
                }

                @Override
                public void save(int i, NDArray x) {
                    first.save(i, x);
                    if (i == 1) {
                        throw new Interrupted(); // as if the process were killed after its second batch
                    }
                }
            };
            assertThrows(Interrupted.class, () -> ddpm.sampling(5).batch(2).chunk(1).sampler(ddim).seed(11).store(cut).manager(m).draw());

            Runtime.seed(12345); // the random state is not where the first run left it
            SampleParts again = SampleParts.open(dir, "job A\n");
            assertEquals(2, again.found());
            float[] resumed = ddpm.sampling(5).batch(2).chunk(1).sampler(ddim).seed(11).store(again).manager(m).draw().toFloatArray();
            assertArrayEquals(whole, resumed, 0f);

            again.finish();
            assertFalse(Files.exists(dir));
        }
    }

    @Test
    void partsOfAnotherJobAreDiscardedAndForeignFoldersKept(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("s.npy.parts");
        try (NDManager m = Runtime.newManager()) {
            SampleParts a = SampleParts.open(dir, "job A\n");
            a.save(0, m.create(new float[] {1, 2, 3}));
            assertEquals(1, SampleParts.open(dir, "job A\n").found());
            assertArrayEquals(new float[] {1, 2, 3}, SampleParts.open(dir, "job A\n").load(0, m).toFloatArray());
            assertEquals(0, SampleParts.open(dir, "job B\n").found());
            assertFalse(Files.exists(dir.resolve("batch-00000.npy")));
        }
        Path foreign = tmp.resolve("mine.npy.parts");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("notes.txt"), "keep me");
        UserException e = assertThrows(UserException.class, () -> SampleParts.open(foreign, "job A\n"));
        assertEquals(foreign + " exists but holds no sampling job; move it away or write the samples elsewhere", e.getMessage());
        assertEquals("keep me", Files.readString(foreign.resolve("notes.txt")));
    }

    @Test
    void aDamagedPartIsDrawnAgainWithTheOnesAfterIt(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("s.npy.parts");
        try (NDManager m = Runtime.newManager()) {
            SampleParts a = SampleParts.open(dir, "job A\n");
            for (int i = 0; i < 3; i++) {
                a.save(i, m.create(new float[] {i, i + 1, i + 2}));
            }
            assertEquals(3, SampleParts.open(dir, "job A\n").found());
            // a NaN written over one value of the second part, as after a bad disk or a careless edit
            Path part = dir.resolve("batch-00001.npy");
            byte[] b = Files.readAllBytes(part);
            java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(b.length - 4, Float.NaN);
            Files.write(part, b);
            SampleParts again = SampleParts.open(dir, "job A\n");
            assertEquals(1, again.found());
            assertEquals("batch-00001.npy", again.damaged());
            assertFalse(Files.exists(part));
            assertFalse(Files.exists(dir.resolve("batch-00002.npy")));
            assertArrayEquals(new float[] {0, 1, 2}, again.load(0, m).toFloatArray());
        }
    }
}
