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

/**
 * 'sample' without --run draws from the shipped MNIST model with the bundled models' default
 * sampler; so does --run with the bundled file's path.
 */
class BundledDdpmTest {
    private static String sample(Path out, String... more) {
        PrintStream before = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true));
        int code;
        try {
            String[] args = {"sample", "--n", "2", "--threads", "1", "--out", out.toString()};
            String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
            System.arraycopy(more, 0, all, args.length, more.length);
            code = Main.execute(all);
        } finally {
            System.setOut(before);
        }
        assertEquals(0, code, o.toString());
        return o.toString();
    }

    @Test
    void sampleWithoutARunUsesTheBundledModelAndItsDefaultSampler(@TempDir Path tmp) throws java.io.IOException {
        Path bundled = BundledModels.directory().resolve(BundledModels.DDPM_MNIST);
        assumeTrue(Files.isRegularFile(bundled), "bundled DDPM present");
        Path out = tmp.resolve("digits.png");
        String o = sample(out);
        assertTrue(Files.size(out) > 0);
        assertTrue(o.contains("(SDE-DPM-Solver++(2M), 16 steps (trailing), eta 1.1, 16 network calls"), "the bundled model's default sampler: " + o);
        assertTrue(sample(out, "--run", bundled.toString(), "--steps", "3").contains("SDE-DPM-Solver++(2M), 3 steps (trailing), eta 1.1"),
                "the same, named by path");
        assertTrue(sample(out, "--sampler", "ddim", "--steps", "3").contains("DDIM, eta 1.0"), "DDIM on the bundled model takes eta 1");
        // exact sampling calls the network with chunks of 32 rows, whatever the batch; --no-exact with the batch
        assertTrue(sample(out, "--steps", "2", "--batch", "7").contains("2 network calls per chunk of 32)"), "exact: calls per chunk");
        assertTrue(sample(out, "--steps", "2", "--batch", "7", "--no-exact").contains("2 network calls per batch of 2)"), "not exact: per batch");
    }

    /** The README's library snippet, Ddpm.load(bundled).sample(n), draws the digits of 'sample --n n'. */
    @Test
    void theLibrarysSampleIsTheCommandsSample(@TempDir Path tmp) {
        Path bundled = BundledModels.directory().resolve(BundledModels.DDPM_MNIST);
        assumeTrue(Files.isRegularFile(bundled), "bundled DDPM present");
        Path npy = tmp.resolve("s.npy");
        sample(tmp.resolve("s.png"), "--npy", npy.toString());
        float[] command = org.diffusion4j.data.Npy.readArray(npy).data();
        try (org.diffusion4j.ddpm.Ddpm ddpm = org.diffusion4j.ddpm.Ddpm.load(bundled)) {
            float[] library = org.diffusion4j.ddpm.Pictures.toDisplay(ddpm.spec(), ddpm.sample(2));
            org.junit.jupiter.api.Assertions.assertArrayEquals(command, library, 0f);
        }
    }

    /** 'sample --class K' without --run draws from the bundled class-conditional model, with its recommended sampler and guidance. */
    @Test
    void aClassWithoutARunUsesTheBundledConditionalModel(@TempDir Path tmp) {
        assumeTrue(Files.isRegularFile(BundledModels.directory().resolve(BundledModels.DDPM_MNIST_COND)), "bundled conditional DDPM present");
        String o = sample(tmp.resolve("sevens.png"), "--class", "7", "--steps", "2");
        assertTrue(o.contains("SDE-DPM-Solver++(2M), 2 steps (trailing), eta 1.1") && o.contains("class 7, guidance 1.0"), o);
    }

    /** A job whose output could not be written keeps its batches; the same command then finishes it without drawing them again. */
    @Test
    void aSamplingJobResumesFromItsFinishedBatches(@TempDir Path tmp) throws java.io.IOException {
        assumeTrue(Files.isRegularFile(BundledModels.directory().resolve(BundledModels.DDPM_MNIST)), "bundled DDPM present");
        // two batches: 32 samples (one chunk of exact sampling) and 8
        String[] job = {"sample", "--n", "40", "--batch", "32", "--steps", "2", "--threads", "1", "--out", tmp.resolve("s.png").toString(), "--npy"};
        Path whole = tmp.resolve("whole.npy");
        assertEquals(0, run(concat(job, whole.toString())).code());
        assertTrue(!Files.exists(tmp.resolve("whole.npy.parts")), "the parts go once the output is written");

        Path cut = tmp.resolve("cut.npy");
        // The output is checked before any work, so it becomes unwritable (a folder) only once the
        // first batch is kept: then the job fails at its very end.
        Path firstPart = tmp.resolve("cut.npy.parts").resolve("batch-00000.npy");
        Thread spoiler = new Thread(() -> {
            try {
                while (!Files.exists(firstPart)) {
                    Thread.sleep(1);
                }
                Files.createDirectories(cut);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        spoiler.start();
        CliErrorsTest.Outcome failed = run(concat(job, cut.toString()));
        spoiler.interrupt();
        assertTrue(Files.isDirectory(cut), "the output was spoiled during the job");
        assertTrue(failed.code() != 0, failed.err());
        assertTrue(Files.isRegularFile(tmp.resolve("cut.npy.parts").resolve("batch-00001.npy")), "both batches kept");
        Files.delete(cut);
        CliErrorsTest.Outcome resumed = run(concat(job, cut.toString()));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resuming: 2 of 2 batches were finished earlier"), resumed.err());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(whole), Files.readAllBytes(cut)), "same samples as the uninterrupted job");
    }

    /** Runs the command line with System.err (where progress and notes go) captured. */
    private static CliErrorsTest.Outcome run(String... args) {
        PrintStream before = System.err;
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setErr(new PrintStream(e, true));
        try {
            CliErrorsTest.Outcome o = CliErrorsTest.run(args);
            return new CliErrorsTest.Outcome(o.code(), e + o.err());
        } finally {
            System.setErr(before);
        }
    }

    private static String[] concat(String[] a, String last) {
        String[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = last;
        return r;
    }
}
