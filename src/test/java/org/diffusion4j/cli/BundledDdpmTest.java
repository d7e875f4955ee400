package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'sample' without --run draws from the shipped MNIST model, with DDIM by default. */
class BundledDdpmTest {
    @Test
    void sampleWithoutARunUsesTheBundledModelAndDdim(@TempDir Path tmp) throws java.io.IOException {
        assumeTrue(Files.isRegularFile(BundledModels.directory().resolve(BundledModels.DDPM_MNIST)), "bundled DDPM present");
        Path out = tmp.resolve("digits.png");
        PrintStream before = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true));
        int code;
        try {
            code = Main.execute("sample", "--n", "2", "--steps", "3", "--threads", "1", "--out", out.toString());
        } finally {
            System.setOut(before);
        }
        assertEquals(0, code, o.toString());
        assertTrue(Files.size(out) > 0);
        assertTrue(o.toString().contains("DDIM, eta 1.0"), "the bundled model samples with eta 1: " + o);
    }
}
