package org.diffusion4j.cli;

import static org.diffusion4j.cli.CliErrorsTest.assertOneLineError;
import static org.diffusion4j.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.diffusion.Objective;
import org.diffusion4j.diffusion.Prediction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --prediction and --min-snr-gamma: stored with the model, refused in one line when wrong or changed. */
class PredictionOptionsTest {
    @Test
    void predictionTypeIsStoredAndCannotChangeOnResume(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("v");
        String[] base = {"train", "--data", "toy:moons", "--toy-n", "256", "--steps", "4", "--batch", "64", "--sample-every", "0"};
        assertOneLineError(run(concat(base, "--prediction", "score", "--out", out.toString())), "--prediction must be eps, x0 or v");
        assertOneLineError(run(concat(base, "--min-snr-gamma", "-1", "--out", out.toString())), "--min-snr-gamma -1.0 must be");
        CliErrorsTest.Outcome o = run(concat(base, "--prediction", "v", "--min-snr-gamma", "5", "--out", out.toString()));
        assertEquals(0, o.code(), o.err());
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"prediction\": \"v\""));
        TorchRuntime.init();
        try (NDManager m = TorchRuntime.newManager(); Ddpm d = Ddpm.load(out, true, m)) {
            assertEquals(new Objective(Prediction.V, 5), d.spec().objective());
        }
        assertOneLineError(run("train", "--resume", out.toString(), "--steps", "6", "--prediction", "eps"), "cannot change on --resume");
        o = run("train", "--resume", out.toString(), "--steps", "6", "--prediction", "v");
        assertEquals(0, o.code(), o.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
