package org.diffusion4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad arguments of the job's entry point, a model file that is not one included, are refused in one line, before Spark starts. */
class SparkSampleMainTest {
    private static void refused(String expected, String... args) {
        UserException e = assertThrows(UserException.class, () -> SparkSampleMain.run(args));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), expected + " expected in: " + e.getMessage());
    }

    @Test
    void badArguments(@TempDir Path dir) throws Exception {
        Path model = Files.writeString(dir.resolve("m.safetensors"), "x");
        String out = dir.resolve("out").toString();
        refused("--model must be given", "--n", "4", "--out", out);
        refused("unknown option '--bogus'", "--bogus", "1");
        refused("--n needs a value", "--model", model.toString(), "--n");
        refused("no such file", "--model", dir.resolve("none").toString(), "--n", "4", "--out", out);
        refused("--n must be a whole number", "--model", model.toString(), "--n", "x", "--out", out);
        refused("--n must be >= 1", "--model", model.toString(), "--n", "0", "--out", out);
        refused("exists", "--model", model.toString(), "--n", "4", "--out", dir.toString());
        refused("not a diffusion4j checkpoint", "--model", model.toString(), "--n", "4", "--out", out);
        refused("--grid " + dir.resolve("g.txt") + ": give a .png file", "--model", model.toString(), "--n", "4", "--out", out,
                "--grid", dir.resolve("g.txt").toString());
    }

    @Test
    void refusalsFromTasksAreFoundInSparksWrapping() {
        Exception fromTask = new org.apache.spark.SparkException("Job aborted due to stage failure",
                new RuntimeException("Task failed while writing rows", new UserException("the samples are not all of one size")));
        assertEquals("the samples are not all of one size", JobArgs.refusal(fromTask));
        assertNull(JobArgs.refusal(new org.apache.spark.SparkException("lost executor")));
    }
}
