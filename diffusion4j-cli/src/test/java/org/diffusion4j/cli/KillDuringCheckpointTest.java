package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a training process (SIGKILL, no chance to clean up) at several moments while it writes a
 * checkpoint at every step: the checkpoint on disk must always load, and resume must work.
 */
class KillDuringCheckpointTest {
    private static Process start(Path run, boolean resume) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = resume
                ? List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train",
                        "--resume", run.toString(), "--steps", "1000000")
                : List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train",
                        "--data", "toy:moons", "--toy-n", "512", "--batch", "64", "--steps", "1000000",
                        "--checkpoint-every", "1", "--sample-every", "0", "--threads", "1", "--out", run.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File(run.getParent().toFile(), "log.txt")).start();
    }

    private static long stepOf(Path ckpt) {
        if (!Files.exists(ckpt)) {
            return -1;
        }
        try (NDManager m = TorchRuntime.newManager()) {
            return Checkpoint.read(ckpt, m).step();
        }
    }

    @Test
    void killedRunAlwaysLeavesALoadableCheckpoint(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        long lastStep = -1;
        for (int round = 0; round < 3; round++) {
            Process p = start(run, round > 0);
            Path ckpt = run.resolve(Trainer.CHECKPOINT);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            // Wait until the run has written a few checkpoints past the last one seen ...
            while (stepOf(ckpt) < lastStep + 3 && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(20);
            }
            Thread.sleep(37L * round); // ... then kill it at some moment of its write cycle.
            p.destroyForcibly().waitFor();
            assertTrue(Files.exists(ckpt), "no checkpoint written; see " + dir.resolve("log.txt"));
            try (NDManager m = TorchRuntime.newManager()) {
                long step = Checkpoint.read(ckpt, m).step();
                assertTrue(step > lastStep, "round " + round + ": step " + step + " after " + lastStep);
                lastStep = step;
            }
        }
    }
}
