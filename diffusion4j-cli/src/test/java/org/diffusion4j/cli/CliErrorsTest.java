package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input ends in one readable line and a non-zero exit, never a stack trace. */
class CliErrorsTest {
    record Outcome(int code, String err) {}

    static Outcome run(String... args) {
        StringWriter sw = new StringWriter();
        int code = Main.execute(new PrintWriter(sw, true), args);
        return new Outcome(code, sw.toString());
    }

    static void assertOneLineError(Outcome o, String expected) {
        assertEquals(Main.EXIT_USER_ERROR, o.code(), o.err());
        String text = o.err().strip();
        assertFalse(text.contains("\n"), "one line expected: " + text);
        assertFalse(text.contains("Exception"), "no exception names: " + text);
        assertFalse(text.contains("\tat "), "no stack trace: " + text);
        assertTrue(text.contains(expected), "'" + expected + "' expected in: " + text);
    }

    @Test
    void unknownOptionAndCommand() {
        assertOneLineError(run("schedule", "--bogus"), "Unknown option: '--bogus'");
        assertOneLineError(run("frobnicate"), "frobnicate");
    }

    @Test
    void optionsOutOfRange() {
        assertOneLineError(run("schedule", "--T", "0"), "T must be in 1..100000");
        assertOneLineError(run("schedule", "--schedule", "quadratic"), "Invalid value for option '--schedule'");
        assertOneLineError(run("diffuse", "--t", "0,1001"), "--t 1001 is out of range");
        assertOneLineError(run("diffuse", "--index", "60000"), "--index 60000 is out of range");
        assertOneLineError(run("model", "--preset", "huge"), "--preset huge is not a U-Net preset");
        assertOneLineError(run("model", "--preset", "mnist", "--size", "30"), "multiples of 4");
        assertOneLineError(run("train", "--steps", "0", "--out", "/tmp/never"), "--steps 0 must be at least 1");
        assertOneLineError(run("sample", "--run", "/nonexistent/run", "--n", "0"), "--n must be in 1..1000000");
        assertOneLineError(run("sample", "--precision", "bf16"), "cannot create bfloat16 arrays");
        assertOneLineError(run("bench", "--precision", "fp8"), "--precision fp8 is not a number format: use fp32 or fp16");
        assertOneLineError(run("train", "--precision", "bf16", "--out", "/tmp/never"), "use fp32 or fp16");
    }

    @Test
    void missingAndCorruptFiles(@TempDir Path dir) throws Exception {
        assertOneLineError(run("diffuse", "--image", dir.resolve("none.png").toString()), "none.png");
        assertOneLineError(run("train", "--data", dir.resolve("none-images-idx3-ubyte").toString()), "none-images-idx3-ubyte");
        Path bad = dir.resolve("bad-images-idx3-ubyte");
        Files.write(bad, new byte[] {0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3});
        assertOneLineError(run("train", "--data", bad.toString(), "--out", dir.resolve("r").toString()), "bad-images-idx3-ubyte");
        assertOneLineError(run("sample", "--run", dir.resolve("norun").toString()), "norun");
        assertOneLineError(run("train", "--resume", dir.resolve("norun").toString()), "norun");
        Path notCkpt = dir.resolve("run");
        Files.createDirectories(notCkpt);
        Files.writeString(notCkpt.resolve("checkpoint.bin"), "this is no checkpoint, just some text to read");
        assertOneLineError(run("sample", "--run", notCkpt.toString()), "not a diffusion4j checkpoint");
    }

    @Test
    void diffuseWritesTheStrip(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("strip.png");
        Outcome o = run("diffuse", "--index", "0", "--t", "0,50,100,200,400,999", "--out", out.toString());
        assertEquals(0, o.code(), o.err());
        BufferedImage img = ImageIO.read(out.toFile());
        assertTrue(img.getWidth() > 6 * 28 && img.getHeight() > 28, img.getWidth() + "x" + img.getHeight());
    }
}
