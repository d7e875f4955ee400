package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-conditional path end to end on the tiny preset: train --classes, widen --classes from
 * an unconditional run (same function), sample --class / --guidance with labels beside the .npy,
 * eval samples' per-class report, and the one-line refusals.
 */
class ConditionalCommandsTest {
    private static void assertOk(CliErrorsTest.Outcome o) {
        assertEquals(0, o.code(), o.err());
    }

    /** Runs a command and returns what it printed on stdout (after checking it succeeded). */
    private static String output(String... args) {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
            assertOk(CliErrorsTest.run(args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void conditionalRunSamplesClassesAndEvalReportsThem(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        assertOk(CliErrorsTest.run("train", "--preset", "tiny", "--classes", "10", "--label-dropout", "0.2", "--subset", "64",
                "--batch", "8", "--steps", "2", "--sample-every", "0", "--threads", "1", "--out", a.toString()));
        assertTrue(Files.readString(a.resolve("config.json")).matches("(?s).*\"labelDropout\":\\s*0\\.2\\b.*"),
                "the label dropout is saved with the run");
        Path npy = dir.resolve("s.npy");
        assertOk(CliErrorsTest.run("sample", "--run", a.toString(), "--sampler", "ddim", "--steps", "2", "--n", "20",
                "--batch", "20", "--guidance", "2", "--npy", npy.toString(), "--out", dir.resolve("s.png").toString()));
        Npy.Array labels = Npy.readArray(dir.resolve("s.labels.npy"));
        assertEquals(20, labels.shape()[0]);
        assertEquals(0f, labels.data()[0]);
        assertEquals(1f, labels.data()[2], "two of each class, in class order");
        assertEquals(9f, labels.data()[19]);
        String e = output("eval", "samples", "--npy", npy.toString(), "--floor", "none");
        assertTrue(e.contains("classified as requested"), e);
        assertOk(CliErrorsTest.run("sample", "--run", a.toString(), "--sampler", "ddim", "--steps", "2", "--n", "4",
                "--class", "7", "--out", dir.resolve("7.png").toString()));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("sample", "--run", a.toString(), "--n", "4", "--class", "10",
                "--out", dir.resolve("x.png").toString()), "--class must be a class of this model, 0..9");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("sample", "--run", a.toString(), "--n", "4", "--guidance", "-1",
                "--out", dir.resolve("x.png").toString()), "--guidance must be a number >= 0");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--preset", "tiny", "--classes", "10", "--label-dropout",
                "1.5", "--subset", "64", "--steps", "2", "--out", dir.resolve("bad").toString()), "must be a probability");
    }

    @Test
    void widenClassesStartsFromTheSameFunction(@TempDir Path dir) {
        Path a = dir.resolve("a");
        assertOk(CliErrorsTest.run("train", "--preset", "tiny", "--subset", "64", "--batch", "8", "--steps", "2",
                "--sample-every", "0", "--threads", "1", "--out", a.toString()));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("sample", "--run", a.toString(), "--n", "4", "--class", "3",
                "--out", dir.resolve("x.png").toString()), "need a class-conditional model");
        Path start = dir.resolve("start.bin");
        String o = output("widen", "--run", a.toString(), "--classes", "10", "--out", start.toString(), "--check", "16");
        assertTrue(o.contains("the predictions differ by 0.00000"), o);
        Path b = dir.resolve("b");
        assertOk(CliErrorsTest.run("train", "--init-from", start.toString(), "--steps", "3", "--out", b.toString()));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--init-from", a.toString(), "--classes", "10",
                "--steps", "3", "--out", dir.resolve("c").toString()), "widen --run MODEL --classes 10");
    }
}
