package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The case end to end: 0xFF bytes in a checkpoint's weights: exit 2 with one line, and resume falls back. */
class DamagedCheckpointTest {
    @Test
    void aDamagedCheckpointIsOneLineAndResumeFallsBack(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, quiet("train", "--data", "toy:moons", "--steps", "40", "--checkpoint-every", "20", "--sample-every", "0",
                "--threads", "1", "--keep-checkpoints", "3", "--out", run.toString()).code());
        assertTrue(Files.isRegularFile(run.resolve("checkpoint.1.bin")), "the previous checkpoint is kept");
        Path newest = run.resolve("checkpoint.bin");
        try (RandomAccessFile raf = new RandomAccessFile(newest.toFile(), "rw")) {
            byte[] head = new byte[8];
            raf.readFully(head);
            raf.seek(8 + ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong() + 16);
            byte[] ff = new byte[64];
            Arrays.fill(ff, (byte) 0xFF);
            raf.write(ff);
        }
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("sample", "--run", run.toString(), "--n", "4", "--out",
                tmp.resolve("s.png").toString()), newest + " is damaged: tensor 'model/");
        CliErrorsTest.Outcome resumed = quiet("train", "--resume", run.toString(), "--steps", "60", "--threads", "1");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("does not match its checksum") && resumed.err().contains("falling back to "
                + run.resolve("checkpoint.1.bin") + " (step 20)"), resumed.err());
        assertTrue(Files.isRegularFile(run.resolve("checkpoint.bin.damaged")));
        assertEquals(0, quiet("sample", "--run", run.toString(), "--n", "4", "--out", tmp.resolve("s.png").toString()).code());
    }

    /** Runs with System.out and System.err captured (progress, notes). */
    private static CliErrorsTest.Outcome quiet(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
        System.setErr(new PrintStream(e, true));
        try {
            CliErrorsTest.Outcome o = CliErrorsTest.run(args);
            return new CliErrorsTest.Outcome(o.code(), e + o.err());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
