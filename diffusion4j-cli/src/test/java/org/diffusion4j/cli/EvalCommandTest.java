package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void missingRunIsOneLineAndExitTwo(@TempDir Path dir) {
        int[] code = new int[1];
        String err = stderrOf(() -> code[0] = Main.execute("eval", "points", "--run", dir.resolve("nope").toString()));
        assertEquals(Main.EXIT_USER_ERROR, code[0]);
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.contains("no such run folder"), err);
    }

    @Test
    void npyWithoutDataIsAUserError(@TempDir Path dir) {
        int[] code = new int[1];
        String err = stderrOf(() -> code[0] = Main.execute("eval", "points", "--npy", dir.resolve("s.npy").toString()));
        assertEquals(Main.EXIT_USER_ERROR, code[0]);
        assertTrue(err.contains("--npy needs --data"), err);
    }
}
