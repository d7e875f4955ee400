package org.diffusion4j.cli;

import static org.diffusion4j.cli.CliErrorsTest.assertOneLineError;
import static org.diffusion4j.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Output paths are refused before any work (the model is not even read), and an Error reaching
 * the top (OutOfMemoryError, PyTorch's allocator failing) ends in one line with what to do.
 */
class FatalAndOutputErrorsTest {
    @Test
    void unwritableOutputsAreRefusedBeforeTheModelIsRead(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux /proc needed");
        // The run does not exist: an error naming the output proves the check came first.
        String missing = dir.resolve("no-run").toString();
        assertOneLineError(run("sample", "--run", missing, "--out", "/proc/x.png"), "--out /proc/x.png cannot be written");
        String ok = dir.resolve("ok.png").toString();
        assertOneLineError(run("sample", "--run", missing, "--out", ok, "--npy", "/proc/x.npy"), "--npy /proc/x.npy");
        assertOneLineError(run("sample", "--run", missing, "--out", ok, "--gif", dir.toString()), "is a folder");
        Path file = dir.resolve("file.txt");
        Files.writeString(file, "x");
        assertOneLineError(run("sample", "--run", missing, "--out", ok, "--each", file.toString()), "--each " + file + " is a file");
        assertOneLineError(run("sample", "--run", missing, "--out", ok, "--trajectory", file + "/t.png"), "--trajectory");
        assertOneLineError(run("diffuse", "--out", "/proc/strip.png"), "--out /proc/strip.png cannot be written");
        assertOneLineError(run("train", "--data", "toy:moons", "--out", file + "/run"), "--out " + file + "/run cannot be created");
        assertOneLineError(run("export", "--run", missing, "--out", "/proc/m.bin"), "--out /proc/m.bin");
        assertFalse(Files.exists(Path.of(ok)));
    }

    @Command(name = "greedy")
    static final class Greedy implements Callable<Integer> {
        private final Throwable toThrow;

        Greedy(Throwable toThrow) {
            this.toThrow = toThrow;
        }

        @Override
        public Integer call() throws Exception {
            if (toThrow instanceof Error e) {
                throw e;
            }
            throw (Exception) toThrow;
        }
    }

    private static CliErrorsTest.Outcome runThrowing(Throwable t) {
        StringWriter sw = new StringWriter();
        int code = Main.configure(new CommandLine(new Greedy(t)), new PrintWriter(sw, true)).execute();
        return new CliErrorsTest.Outcome(code, sw.toString());
    }

    @Test
    void outOfMemoryEndsInOneLineSayingWhatToDo() {
        CliErrorsTest.Outcome o = runThrowing(new OutOfMemoryError("Java heap space"));
        assertOneLineError(o, "out of memory (Java heap space)");
        assertTrue(o.err().contains("--batch") && o.err().contains("-Xmx"), o.err());

        // DJL reports PyTorch's allocator as an EngineException wrapped by the command.
        o = runThrowing(new RuntimeException("forward failed", new ai.djl.engine.EngineException(
                "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                        + "8000000000 bytes. Error code 12 (Cannot allocate memory)")));
        assertOneLineError(o, "out of memory (you tried to allocate 8000000000 bytes)");
    }

    @Test
    void otherErrorsEndInOneLineToo() {
        CliErrorsTest.Outcome o = runThrowing(new StackOverflowError());
        assertEquals(Main.EXIT_INTERNAL, o.code(), o.err());
        assertFalse(o.err().strip().contains("\n"), o.err());
        assertFalse(o.err().contains("\tat "), o.err());
        assertTrue(o.err().contains("StackOverflowError"), o.err());
    }
}
