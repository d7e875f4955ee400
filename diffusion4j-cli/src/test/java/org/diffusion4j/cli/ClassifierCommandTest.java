package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'classifier train' end to end on a few steps, its resume, and its errors. */
class ClassifierCommandTest {
    @Test
    void trainsResumesAndWritesWeights(@TempDir Path dir) {
        Path run = dir.resolve("cls");
        CliErrorsTest.Outcome a = CliErrorsTest.run("classifier", "train", "--subset", "256", "--steps", "2", "--batch", "16",
                "--test", "none", "--out", run.toString(), "--log-every", "1000");
        assertEquals(0, a.code(), a.err());
        assertTrue(Files.isRegularFile(run.resolve("classifier.bin")));
        CliErrorsTest.Outcome b = CliErrorsTest.run("classifier", "train", "--resume", run.toString(), "--steps", "3");
        assertEquals(0, b.code(), b.err());
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "train", "--subset", "256", "--steps", "4",
                "--out", run.toString()), "already holds a run");
        // A classifier file is refused where a DDPM is expected, and the other way round.
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("sample", "--run", run.toString(), "--n", "1"), "'classifier' model");
    }

    /** --arch mlp trains the second architecture, and 'classifier test' and 'eval samples' take its file. */
    @Test
    void mlpArchTrainsAndPlugsIntoTestAndEval(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("mlp");
        Printed a = runPrinting("classifier", "train", "--arch", "mlp", "--subset", "512", "--steps", "30",
                "--batch", "32", "--test", "mnist:test", "--out", run.toString(), "--log-every", "1000");
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().contains("test accuracy (EMA weights) on mnist:test"), a.out());
        Path weights = run.resolve("classifier.bin");
        Printed t = runPrinting("classifier", "test", "--classifier", weights.toString(),
                "--data", "mnist:test");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("accuracy of " + weights), t.out());
        // Resume keeps the run's architecture (no --arch needed), here ending with a decay of the learning rate.
        Printed r = runPrinting("classifier", "train", "--resume", run.toString(), "--steps", "32", "--decay-from", "30");
        assertEquals(0, r.code(), r.err());

        Path npy = dir.resolve("real.npy");
        Npy.write(npy, Mnist.test().subset(5000, 200).data(), new long[] {200, 28, 28});
        Printed e = runPrinting("eval", "samples", "--npy", npy.toString(), "--classifier", weights.toString(),
                "--reference-n", "500", "--floor", "none");
        assertEquals(0, e.code(), e.err());
        // The MLP's features are 256-d: 200 images are fewer.
        assertTrue(e.out().contains("fewer images than the 256 feature dimensions"), e.out());
        assertTrue(e.out().contains("IS analogue"), e.out());
    }

    /** What a command printed: its exit code, stdout and stderr. */
    record Printed(int code, String out, String err) {}

    static Printed runPrinting(String... args) {
        StringWriter err = new StringWriter();
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.execute(new PrintWriter(err, true), args);
        } finally {
            System.setOut(old);
        }
        return new Printed(code, buf.toString(StandardCharsets.UTF_8), err.toString());
    }

    @Test
    void badInput(@TempDir Path dir) {
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "train", "--arch", "resnet",
                "--out", dir.resolve("r").toString()), "--arch must be one of cnn, mlp");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "train", "--data", "toy:moons",
                "--out", dir.resolve("r").toString()), "needs labelled images");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "train", "--shift", "9"), "--shift must be in 0..8");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "train", "--minutes", "1", "--decay-from", "10",
                "--out", dir.resolve("r").toString()), "not both");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "test", "--classifier",
                dir.resolve("none.bin").toString()), "none.bin");
    }
}
