package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ae train, encode and decode: the latent files' shapes and scale, and the decoder's images. */
class AeCommandTest {
    @Test
    void trainEncodeDecode(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("ae");
        CliErrorsTest.Outcome o = CliErrorsTest.run("ae", "train", "--subset", "64", "--batch", "16", "--steps", "3",
                "--hidden", "8,16", "--sample-every", "0", "--threads", "1", "--out", run.toString());
        assertEquals(0, o.code(), o.err());
        Path z = dir.resolve("z.npy");
        o = CliErrorsTest.run("ae", "encode", "--run", run.toString(), "--subset", "40", "--range", "3", "--out", z.toString());
        assertEquals(0, o.code(), o.err());
        DataSet latents = Npy.read(z);
        assertArrayEquals(new long[] {4, 7, 7}, latents.rowShape());
        assertEquals(40, latents.size());
        assertTrue(Files.isRegularFile(run.resolve(AeCommand.STATS)), "the first encode records the latents' scale");
        // standardised per channel, then mapped as [-3 std, 3 std] -> [0, 1]: mean 1/2, std 1/6
        double mean = 0;
        double sq = 0;
        for (float v : latents.data()) {
            mean += v;
            sq += v * v;
        }
        mean /= latents.data().length;
        double std = Math.sqrt(sq / latents.data().length - mean * mean);
        assertEquals(0.5, mean, 1e-4);
        assertEquals(1 / 6.0, std, 0.02);

        Path x = dir.resolve("x.npy");
        o = CliErrorsTest.run("ae", "decode", "--run", run.toString(), "--npy", z.toString(), "--out", x.toString());
        assertEquals(0, o.code(), o.err());
        DataSet images = Npy.read(x);
        assertArrayEquals(new long[] {1, 28, 28}, images.rowShape());
        for (float v : images.data()) {
            assertTrue(v >= 0 && v <= 1, "images in [0, 1]: " + v);
        }
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("ae", "encode", "--run", run.toString(), "--subset", "8", "--range",
                "1", "--out", dir.resolve("z1.npy").toString()), "fixes the range at 3.0");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("ae", "decode", "--run", run.toString(), "--npy", x.toString(),
                "--out", dir.resolve("y.npy").toString()), "not the [4, 7, 7] latents");
    }

    @Test
    void statsInvert() {
        AeCommand.Stats s = new AeCommand.Stats(new double[] {1, -2}, new double[] {0.5, 3}, 3.0);
        float[] z = {1.5f, 0.25f, -2f, 7f};
        float[] u = z.clone();
        s.toUnit(u, 2);
        assertEquals(0.5 + 1 / 6.0, u[0], 1e-6);
        s.fromUnit(u, 2);
        assertArrayEquals(z, u, 1e-5f);
    }
}
