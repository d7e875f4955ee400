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

    /** train --latent: the DDPM learns the encoded data, its run carries the autoencoder, sample decodes, resume re-encodes. */
    @Test
    void latentDdpmTrainsSamplesAndResumes(@TempDir Path dir) throws Exception {
        Path ae = dir.resolve("ae");
        CliErrorsTest.Outcome o = CliErrorsTest.run("ae", "train", "--subset", "64", "--batch", "16", "--steps", "2",
                "--hidden", "8,16", "--sample-every", "0", "--threads", "1", "--out", ae.toString());
        assertEquals(0, o.code(), o.err());
        Path run = dir.resolve("ldm");
        String[] net = {"--ch", "8", "--ch-mult", "1", "--num-res-blocks", "1", "--attn", "7", "--groups", "4", "-T", "20",
            "--subset", "64", "--batch", "16", "--sample-every", "0", "--threads", "1"};
        o = CliErrorsTest.run(concat(new String[] {"train", "--latent", ae.toString(), "--steps", "2", "--out", run.toString()}, net));
        assertEquals(0, o.code(), o.err());
        assertTrue(Files.readString(run.resolve("config.json")).contains("\"latent\""), "the run describes its latent space");
        Path npy = dir.resolve("s.npy");
        o = CliErrorsTest.run("sample", "--run", run.toString(), "--sampler", "ddim", "--steps", "5", "--n", "6",
                "--threads", "1", "--npy", npy.toString(), "--out", dir.resolve("s.png").toString());
        assertEquals(0, o.code(), o.err());
        DataSet images = Npy.read(npy);
        assertArrayEquals(new long[] {28, 28}, images.rowShape(), "samples are decoded to images");
        assertEquals(6, images.size());
        for (float v : images.data()) {
            assertTrue(v >= 0 && v <= 1, "images in [0, 1]: " + v);
        }
        o = CliErrorsTest.run("train", "--resume", run.toString(), "--steps", "3", "--threads", "1");
        assertEquals(0, o.code(), o.err());
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("sample", "--run", run.toString(), "--n", "2", "--steps", "2",
                "--sampler", "ddim", "--trajectory", dir.resolve("t.png").toString()), "is a latent DDPM");
        Path model = dir.resolve("ldm.safetensors");
        o = CliErrorsTest.run("export", "--run", run.toString(), "--out", model.toString());
        assertEquals(0, o.code(), o.err());
        o = CliErrorsTest.run("sample", "--run", model.toString(), "--sampler", "ddim", "--steps", "5", "--n", "3",
                "--threads", "1", "--npy", dir.resolve("m.npy").toString(), "--out", dir.resolve("m.png").toString());
        assertEquals(0, o.code(), o.err());
        assertArrayEquals(new long[] {28, 28}, Npy.read(dir.resolve("m.npy")).rowShape(), "the exported model decodes too");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("export", "--format", "diffusers", "--run", run.toString(), "--out",
                dir.resolve("d").toString()), "is a latent DDPM");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--latent", dir.resolve("missing").toString(), "--steps", "1",
                "--out", dir.resolve("x").toString()), "missing");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
