package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** 'eval samples' on real digits, on noise, and on bad input (not yet hung under 'eval': run directly). */
class EvalSamplesCommandTest {
    private static final Pattern NUMBER = Pattern.compile("(-?[0-9]+\\.[0-9]+)");

    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        StringWriter sw = new StringWriter();
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.configure(new CommandLine(new EvalSamplesCommand()), new PrintWriter(sw, true)).execute(args);
        } finally {
            System.setOut(old);
        }
        return new Outcome(code, buf.toString(StandardCharsets.UTF_8), sw.toString());
    }

    static double[] row(String out, String label) {
        for (String line : out.split("\n")) {
            if (line.startsWith(label)) {
                Matcher m = NUMBER.matcher(line.substring(label.length()));
                double[] v = new double[2];
                int k = 0;
                while (m.find() && k < 2) {
                    v[k++] = Double.parseDouble(m.group(1));
                }
                return java.util.Arrays.copyOf(v, k);
            }
        }
        throw new AssertionError("no '" + label + "' line in:\n" + out);
    }

    static boolean bundled() {
        return Files.isRegularFile(BundledModels.directory().resolve(BundledModels.CLASSIFIER_MNIST));
    }

    @Test
    void realDigitsScoreNearTheFloorAndNoiseFarAway(@TempDir Path dir) throws Exception {
        assumeTrue(bundled(), "the bundled classifier models/classifier-mnist.safetensors is needed");
        DataSet real = Mnist.test().subset(2000, 300);
        Path realNpy = dir.resolve("real.npy");
        Npy.write(realNpy, real.data(), new long[] {300, 28, 28});
        Outcome r = run("--npy", realNpy.toString(), "--reference-n", "2000");
        assertEquals(0, r.code(), r.err());
        double[] fid = row(r.out(), "FID");
        double[] conf = row(r.out(), "confident (p >= 0.9)");
        double[] is = row(r.out(), "IS analogue (max 10)");
        assertEquals(2, fid.length, r.out());
        assertTrue(fid[0] < 3 * fid[1] + 1, "real test digits: FID " + fid[0] + " vs the real-vs-real floor " + fid[1]);
        assertTrue(conf[0] > 90, "confident fraction of real digits " + conf[0] + "%");
        assertTrue(is[0] > 7, "IS analogue of real digits " + is[0]);
        assertTrue(r.out().contains("class histogram"), r.out());
        // Per class, the confident fraction of the real digits predicted as it.
        assertEquals(10, r.out().lines().filter(l -> l.matches("\\s+\\d .* conf +\\d+\\.\\d% \\|.*")).count(), r.out());

        float[] noise = new float[100 * 784];
        Random rng = new Random(1);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = rng.nextFloat();
        }
        Path noiseNpy = dir.resolve("noise.npy");
        Npy.write(noiseNpy, noise, new long[] {100, 1, 28, 28});
        Path worst = dir.resolve("worst.png");
        Outcome n = run("--npy", noiseNpy.toString(), "--reference-n", "2000", "--floor", "none",
                "--least-confident", worst.toString(), "--least-n", "20");
        assertEquals(0, n.code(), n.err());
        assertTrue(n.out().contains("the 20 least confident of 100 samples"), n.out());
        BufferedImage grid = ImageIO.read(worst.toFile());
        // 16 labelled cells in the first row, a second row of 4: wider than 16 images, two label rows high.
        assertTrue(grid.getWidth() >= 16 * 56 && grid.getHeight() > 2 * 56, grid.getWidth() + "x" + grid.getHeight());
        double noiseFid = row(n.out(), "FID")[0];
        assertTrue(noiseFid > 10 * fid[0] && noiseFid > 10 * fid[1], "noise FID " + noiseFid + ", real " + fid[0]);
    }

    static void assertOneLineError(Outcome o, String expected) {
        assertEquals(Main.EXIT_USER_ERROR, o.code(), o.err() + o.out());
        String text = o.err().strip();
        assertFalse(text.contains("\n"), "one line expected: " + text);
        assertFalse(text.contains("Exception"), "no exception names: " + text);
        assertTrue(text.contains(expected), "'" + expected + "' expected in: " + text);
    }

    @Test
    void badInputEndsInOneLine(@TempDir Path dir) throws Exception {
        assertOneLineError(run(), "--npy");
        assertOneLineError(run("--npy", "a.npy", "--dir", "b"), "mutually exclusive");
        assertOneLineError(run("--npy", "a.npy", "--least-n", "0"), "--least-n");
        assertOneLineError(run("--npy", dir.resolve("none.npy").toString()), "none.npy");
        Path corrupt = dir.resolve("corrupt.npy");
        Files.write(corrupt, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertOneLineError(run("--npy", corrupt.toString()), "corrupt.npy");
        Path big = dir.resolve("big.npy");
        Npy.write(big, new float[4 * 32 * 32], new long[] {4, 32, 32});
        assertOneLineError(run("--npy", big.toString()), "28x28");
        Path flat = dir.resolve("flat.npy");
        Npy.write(flat, new float[4 * 784], new long[] {4, 784});
        assertOneLineError(run("--npy", flat.toString()), "not a stack of images");
        Path units = dir.resolve("units.npy");
        float[] v = new float[4 * 784];
        java.util.Arrays.fill(v, -1f);
        Npy.write(units, v, new long[] {4, 28, 28});
        assertOneLineError(run("--npy", units.toString()), "give images in [0, 1]");
        Path pngs = dir.resolve("pngs");
        Files.createDirectories(pngs);
        ImageIO.write(new BufferedImage(30, 30, BufferedImage.TYPE_BYTE_GRAY), "png", pngs.resolve("a.png").toFile());
        assertOneLineError(run("--dir", pngs.toString()), "is 30x30");
        assertOneLineError(run("--dir", dir.resolve("nodir").toString()), "nodir");
        Path one = dir.resolve("one.npy");
        Npy.write(one, new float[784], new long[] {1, 28, 28});
        assertOneLineError(run("--npy", one.toString()), "at least 2");
        Path ok = dir.resolve("ok.npy");
        Npy.write(ok, new float[4 * 784], new long[] {4, 28, 28});
        assertOneLineError(run("--npy", ok.toString(), "--classifier", dir.resolve("nocls.bin").toString()), "nocls.bin");
        assertOneLineError(run("--npy", ok.toString(), "--classifier", corrupt.toString()), "corrupt.npy");
    }
}
