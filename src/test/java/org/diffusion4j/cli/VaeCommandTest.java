package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeCommandTest {
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

    private static String[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true));
        System.setErr(new PrintStream(e, true));
        int code;
        try {
            code = Main.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {String.valueOf(code), o.toString(), e.toString()};
    }

    @Test
    void classPriorRunTrainsSamplesAndRejectsUnknownClasses(@TempDir Path tmp) {
        Path dir = tmp.resolve("run");
        String[] r = run("vae", "train", "--subset", "300", "--steps", "20", "--batch", "32", "--hidden", "32",
                "--latent", "2", "--conditional", "class-prior", "--threads", "1", "--out", dir.toString());
        assertEquals("0", r[0], r[2]);
        for (String f : new String[] {"checkpoint.bin", "config.json", "metrics.jsonl", "loss.png",
            "reconstructions.png", "latents.png", "samples/step-0000020.png"}) {
            assertTrue(Files.exists(dir.resolve(f)), f);
        }
        r = run("vae", "sample", dir.toString(), "--class", "12");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertEquals("diffusion4j: --class 12 is outside the labels 0..9 of this model", r[2].strip());
        r = run("vae", "sample", dir.toString(), "--class", "7", "--n", "8");
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(dir.resolve("samples-7.png")));
        r = run("vae", "sample", dir.toString(), "--per-class", "4");
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(dir.resolve("samples-per-class.png")));
        r = run("vae", "sample", dir.toString(), "--manifold", "--out", tmp.resolve("m.png").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(tmp.resolve("m.png")));
        if (EvalSamplesCommandTest.bundled()) {
            r = run("vae", "classes", dir.toString(), "--n", "30");
            assertEquals("0", r[0], r[2]);
            // 10 per-class lines, each with a percentage, and the total over 300 samples.
            assertEquals(10, r[1].lines().filter(l -> l.matches("  class \\d: +\\d+\\.\\d% classified as \\d.*")).count(), r[1]);
            assertTrue(r[1].contains("all classes: "), r[1]);
        }
        // An exported weights-only file is a model like the run: it knows its data and writes no picture beside itself.
        Path file = tmp.resolve("models").resolve("cp.bin");
        r = run("export", "--run", dir.toString(), "--out", file.toString());
        assertEquals("0", r[0], r[2]);
        r = run("vae", "eval", file.toString(), "--k", "10", "--subset", "20");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("mnist:test"), r[1]);
        r = run("vae", "sample", file.toString(), "--class", "3", "--n", "4", "--out", tmp.resolve("three.png").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(tmp.resolve("three.png")));
        assertEquals(1, file.getParent().toFile().list().length);
        r = run("vae", "classes", dir.toString(), "--n", "0");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        r = run("vae", "eval", dir.toString(), "--k", "20", "--subset", "40");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("IW bound (k=20)"), r[1]);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "25");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("done at step 25 of 25"), r[1]);
    }

    /** A decay may be added on resume while it has not begun; once it has, the run's end is fixed. */
    @Test
    void learningRateDecayOnResume(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        String[] r = run("vae", "train", "--subset", "200", "--steps", "10", "--batch", "32", "--hidden", "16",
                "--latent", "2", "--warmup", "0", "--lr", "0.001", "--threads", "1", "--out", dir.toString());
        assertEquals("0", r[0], r[2]);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "20", "--decay-from", "5");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertEquals("diffusion4j: --decay-from 5 lies before the run's current step 10; give a step at or after it", r[2].strip());
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "12", "--decay-from", "-1"); // -1: none, always allowed
        assertEquals("0", r[0], r[2]);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "20", "--decay-from", "15");
        assertEquals("0", r[0], r[2]);
        java.util.List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(20, lines.size());
        // 0-based step 19 (logged as step 20) is the last of 5 decay steps: lr / 5.
        com.google.gson.JsonObject last = com.google.gson.JsonParser.parseString(lines.get(19)).getAsJsonObject();
        assertEquals(20, last.get("step").getAsLong());
        assertEquals(0.001 / 5, last.get("lr").getAsDouble(), 1e-12);
        assertEquals(0.001, com.google.gson.JsonParser.parseString(lines.get(15)).getAsJsonObject().get("lr").getAsDouble(), 1e-12);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "30");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertTrue(r[2].contains("has been decaying its learning rate since step 15"), r[2]);
    }

    /** While a trainer holds a run folder, a second one is refused in one line and the checkpoint is untouched. */
    @Test
    void aRunBeingTrainedCannotBeResumedTwice(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        String[] r = run("vae", "train", "--subset", "200", "--steps", "4", "--batch", "32", "--hidden", "16",
                "--latent", "2", "--threads", "1", "--out", dir.toString());
        assertEquals("0", r[0], r[2]);
        byte[] before = Files.readAllBytes(dir.resolve("checkpoint.bin"));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(".lock"),
                java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock held = ch.lock()) {
            r = run("vae", "train", "--resume", dir.toString(), "--steps", "8");
            assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
            assertEquals("diffusion4j: " + dir + " is being trained by another process; stop that one first "
                    + "(Ctrl-C or SIGTERM saves its checkpoint), then resume", r[2].strip().lines().reduce((a, b) -> b).orElse(""));
            assertTrue(!r[2].contains("Exception"), r[2]);
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(dir.resolve("checkpoint.bin"))));
        }
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "8");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("done at step 8 of 8"), r[1]);
    }

    @Test
    void withoutARunTheBundledModelIsUsed(@TempDir Path tmp) {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isRegularFile(BundledModels.directory().resolve(BundledModels.VAE_IWAE)), "bundled VAE present");
        Path out = tmp.resolve("s.png");
        String[] r = run("vae", "sample", "--n", "4", "--threads", "1", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(out));
        r = run("vae", "eval", "--k", "5", "--subset", "10", "--threads", "1");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("vae-iwae.bin on mnist:test"), r[1]);
    }
}
