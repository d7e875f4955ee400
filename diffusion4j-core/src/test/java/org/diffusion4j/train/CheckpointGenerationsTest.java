package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run keeps its last N checkpoints and resumes from the newest intact one. */
class CheckpointGenerationsTest {
    private static TrainConfig config(long steps, int keep) {
        return TrainConfig.builder().steps(steps).batchSize(32).lr(1e-2).emaDecay(0.99).seed(3).checkpointEvery(3)
                .sampleEvery(0).keepCheckpoints(keep).build();
    }

    private static void train(Path dir, TrainConfig c, RunFolder.Continuation from) {
        try (NDManager m = Runtime.newManager(); RunFolder folder = RunFolder.open(dir);
                Trainer t = folder.attach(new Trainer(new TrainerTest.RegressionTask(m, 1f), TrainerTest.DATA, c, m))) {
            if (from != null) {
                from.restoreInto(t);
            }
            t.run();
        }
    }

    private static long step(Path f) {
        try (NDManager m = Runtime.newManager()) {
            return Checkpoint.read(f, m).step();
        }
    }

    /** The damage: 64 bytes of 0xFF at the start of the weights (the first tensor). */
    private static void damage(Path f) throws Exception {
        byte[] head = new byte[8];
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.readFully(head);
            raf.seek(8 + ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong());
            byte[] ff = new byte[64];
            Arrays.fill(ff, (byte) 0xFF);
            raf.write(ff);
        }
    }

    @Test
    void keepsTheLastNGenerations(@TempDir Path tmp) {
        Runtime.init();
        for (int keep = 1; keep <= 3; keep++) {
            Path dir = tmp.resolve("keep" + keep);
            train(dir, config(9, keep), null); // saves at steps 3, 6, 9
            Path newest = dir.resolve(RunFolder.CHECKPOINT);
            List<Path> files = CheckpointGenerations.existing(newest);
            assertEquals(keep, files.size(), files.toString());
            for (int k = 0; k < keep; k++) {
                assertEquals(CheckpointGenerations.file(newest, k), files.get(k));
                assertEquals(9 - 3 * k, step(files.get(k)));
            }
            assertFalse(Files.exists(CheckpointGenerations.file(newest, keep)));
        }
        assertEquals("checkpoint.1.bin", CheckpointGenerations.file(Path.of("r/checkpoint.bin"), 1).getFileName().toString());
    }

    @Test
    void resumeFallsBackToTheOlderCheckpointWhenTheNewestIsDamaged(@TempDir Path tmp) throws Exception {
        Runtime.init();
        Path dir = tmp.resolve("run");
        train(dir, config(9, 2), null);
        Path newest = dir.resolve(RunFolder.CHECKPOINT);
        damage(newest);
        RunFolder.Continuation r;
        try (NDManager m = Runtime.newManager()) {
            r = RunFolder.resume(dir, "regression", 12L, null, null, m);
            assertEquals(6, r.done());
            assertTrue(r.fallback().startsWith(newest + " is damaged: tensor 'model/"), r.fallback());
            assertTrue(r.fallback().endsWith("falling back to " + CheckpointGenerations.file(newest, 1) + " (step 6)"),
                    r.fallback());
            assertFalse(r.fallback().contains("\n"));
            train(dir, r.config(), r);
        }
        // the damaged file was set aside, not shifted over the intact one; training went on from step 6
        assertTrue(Files.exists(dir.resolve("checkpoint.bin.damaged")));
        assertEquals(12, step(newest));
        assertEquals(9, step(CheckpointGenerations.file(newest, 1)));

        // and reached the very state an uninterrupted run reaches (every step's randomness is (seed, step))
        Path straight = tmp.resolve("straight");
        train(straight, config(12, 2), null);
        try (NDManager m = Runtime.newManager()) {
            NamedArrays a = Checkpoint.read(newest, m).section("ema");
            NamedArrays b = Checkpoint.read(straight.resolve(RunFolder.CHECKPOINT), m).section("ema");
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(b.get(i).toFloatArray(), a.get(i).toFloatArray());
            }
            RunFolder.Continuation plain = RunFolder.resume(straight, "regression", 15L, null, null, m);
            assertNull(plain.fallback());
        }

        // with every generation damaged there is nothing to fall back to: one line
        damage(newest);
        damage(CheckpointGenerations.file(newest, 1));
        try (NDManager m = Runtime.newManager()) {
            UserException e = assertThrows(UserException.class, () -> RunFolder.resume(dir, "regression", 15L, null, null, m));
            assertTrue(e.getMessage().startsWith(newest + " is damaged"), e.getMessage());
            assertTrue(e.getMessage().endsWith("(and the older checkpoints are damaged too)"), e.getMessage());
        }
    }
}
