package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM (what Ctrl-C's SIGINT also goes through) on a running `train`: the process finishes
 * its step, writes a checkpoint of exactly the step it stopped at (periodic checkpoints are off,
 * so only the signal can have written it), says how to continue, exits 130 and leaves no
 * temporary file; `--resume` then carries the run on to its new target.
 */
class StopOnSignalTest {
    @Test
    void sigtermSavesACheckpointAndTheRunResumes(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Path log = dir.resolve("log.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train",
                "--data", "toy:moons", "--toy-n", "512", "--batch", "64", "--steps", "1000000", "--checkpoint-every", "1000000",
                "--sample-every", "0", "--threads", "1", "--log-every", "10", "--out", run.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(Files.exists(log) && Files.readString(log).contains("train 20/")) && p.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(p.isAlive(), "train ended before the signal: " + Files.readString(log));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertEquals(Main.EXIT_INTERRUPTED, p.exitValue(), out);
        assertTrue(out.contains("checkpoint saved; continue with: ./diffusion4j train --resume " + run), out);
        Matcher stopped = Pattern.compile("stopped at step (\\d+) of 1000000").matcher(out);
        assertTrue(stopped.find(), out);
        long step = Long.parseLong(stopped.group(1));
        assertTrue(step >= 20, "stopped at step " + step);
        Path ckpt = run.resolve(Trainer.CHECKPOINT);
        TorchRuntime.init();
        try (NDManager m = TorchRuntime.newManager()) {
            assertEquals(step, Checkpoint.read(ckpt, m).step(), "the checkpoint holds the step the run stopped at");
        }
        try (Stream<Path> files = Files.list(run)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "a temporary file was left behind");
        }

        assertEquals(0, Main.execute("train", "--resume", run.toString(), "--steps", String.valueOf(step + 10)));
        try (NDManager m = TorchRuntime.newManager()) {
            assertEquals(step + 10, Checkpoint.read(ckpt, m).step());
        }
    }
}
