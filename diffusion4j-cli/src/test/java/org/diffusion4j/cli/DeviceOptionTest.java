package org.diffusion4j.cli;

import static org.diffusion4j.cli.CliErrorsTest.assertOneLineError;
import static org.diffusion4j.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.Devices;
import org.diffusion4j.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --device on train, sample, eval and serve: a bad name is refused while parsing, a GPU without a
 * CUDA build of PyTorch (this machine's) in one line saying how to get one, and a run records the
 * device it trained on in config.json.
 */
class DeviceOptionTest {
    private static final String NO_CUDA = "this PyTorch has no CUDA";

    @Test
    void badNamesAreRefusedWhileParsing() {
        for (String[] cmd : new String[][] {{"sample"}, {"train"}, {"eval", "nll"}, {"eval", "points"}, {"eval", "samples"},
                {"serve"}}) {
            String[] args = java.util.Arrays.copyOf(cmd, cmd.length + 2);
            args[cmd.length] = "--device";
            args[cmd.length + 1] = "tpu";
            assertOneLineError(run(args), "'tpu' must be cpu, gpu or gpu:K");
        }
    }

    @Test
    void aGpuWithoutCudaIsRefusedInOneLine(@TempDir Path dir) throws Exception {
        assumeFalse(Devices.cudaBuild(), "a CUDA build of PyTorch is loaded");
        Path npy = dir.resolve("s.npy");
        Npy.write(npy, new float[4 * 28 * 28], new long[] {4, 28, 28});
        assertOneLineError(run("sample", "--device", "gpu", "--n", "1", "--out", dir.resolve("s.png").toString()),
                "device gpu:0: " + NO_CUDA);
        assertOneLineError(run("train", "--device", "gpu:1", "--data", "toy:moons", "--steps", "1", "--out",
                dir.resolve("r").toString()), "device gpu:1: " + NO_CUDA);
        assertOneLineError(run("eval", "nll", "--device", "gpu", "--subset", "1"), NO_CUDA);
        assertOneLineError(run("eval", "samples", "--device", "gpu", "--npy", npy.toString()), NO_CUDA);
        assertOneLineError(run("serve", "--device", "gpu", "--port", "0"), "PYTORCH_LIBRARY_PATH");
    }

    @Test
    void aRunRecordsItsDevice(@TempDir Path dir) throws Exception {
        Path runDir = dir.resolve("r");
        CliErrorsTest.Outcome o = run("train", "--device", "cpu", "--data", "toy:moons", "--steps", "3", "--sample-every", "0",
                "--out", runDir.toString());
        assertEquals(0, o.code(), o.err());
        assertEquals("cpu", JsonParser.parseString(Files.readString(runDir.resolve("config.json"))).getAsJsonObject()
                .get("device").getAsString());
        o = run("train", "--resume", runDir.toString(), "--device", "cpu", "--steps", "4");
        assertEquals(0, o.code(), o.err());
        if (!Devices.cudaBuild()) {
            assertOneLineError(run("train", "--resume", runDir.toString(), "--device", "gpu", "--steps", "5"), NO_CUDA);
        }
    }
}
