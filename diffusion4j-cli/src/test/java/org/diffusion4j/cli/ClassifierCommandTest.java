package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void badInput(@TempDir Path dir) {
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "train", "--data", "toy:moons",
                "--out", dir.resolve("r").toString()), "needs labelled images");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "train", "--shift", "9"), "--shift must be in 0..8");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("classifier", "test", "--classifier",
                dir.resolve("none.bin").toString()), "none.bin");
    }
}
