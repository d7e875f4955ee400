package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.DdpmTask;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.latent.Autoencoder;
import org.diffusion4j.latent.AutoencoderConfig;
import org.diffusion4j.latent.LatentScale;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Latent diffusion: the latents' scale and its inverse, the encoded data's shapes and moments,
 * decoding equal to the autoencoder's own round trip, and a DDPM trained on latents whose
 * checkpoint and exported file carry the autoencoder, so that sampling decodes to images.
 */
class LatentDiffusionTest {
    private static final AutoencoderConfig AE = new AutoencoderConfig(1, 8, 8, new int[] {8}, 2, 4); // latents [2, 4, 4]

    private static DataSet images(int n) {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[n * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return new DataSet("noise", x, n, new long[] {1, 8, 8});
    }

    @Test
    void scaleMeasuresAndInverts() {
        // two channels of two values each, three rows: channel 0 holds 1, 3, 5, 7, 9, 11
        float[] z = {1, 3, 10, 10, 5, 7, 20, 20, 9, 11, 30, 30};
        LatentScale s = LatentScale.measure(z, 2, 2, 2.0);
        assertEquals(6, s.mean()[0], 1e-12);
        assertEquals(20, s.mean()[1], 1e-12);
        assertEquals(Math.sqrt(35 / 3.0), s.std()[0], 1e-9); // population std of 1, 3, ..., 11
        float[] u = z.clone();
        s.toUnit(u, 2);
        assertEquals((1 - 6) / Math.sqrt(35 / 3.0) / 4 + 0.5, u[0], 1e-6);
        float[] back = u.clone();
        s.fromUnit(back, 2);
        assertArrayEquals(z, back, 1e-4f);
        // a DDPM sees 2u - 1: fromModelUnits inverts that too
        float[] model = new float[u.length];
        for (int i = 0; i < u.length; i++) {
            model[i] = 2 * u[i] - 1;
        }
        s.fromModelUnits(model, 2);
        assertArrayEquals(z, model, 1e-4f);
        assertEquals(s, LatentScale.fromJson(s.toJson()));
    }

    @Test
    void encodedLatentsAreStandardisedAndDecodeAsTheAutoencoderDoes() {
        Runtime.init();
        DataSet d = images(40);
        try (NDManager m = Runtime.newManager(); Autoencoder ae = Autoencoder.create(AE, m, 1)) {
            LatentSpace space = LatentSpace.measure(ae, d, 1.0);
            DataSet z = space.encode(d);
            assertArrayEquals(new long[] {2, 4, 4}, z.rowShape());
            assertEquals(40, z.size());
            // unit variance per channel: in [0, 1] units mean 1/2 and std 1/2
            for (int c = 0; c < 2; c++) {
                double mean = 0;
                double sq = 0;
                int count = 0;
                for (int i = 0; i < 40; i++) {
                    for (int k = 0; k < 16; k++) {
                        double v = z.data()[i * 32 + c * 16 + k];
                        mean += v;
                        sq += v * v;
                        count++;
                    }
                }
                mean /= count;
                assertEquals(0.5, mean, 1e-5);
                assertEquals(0.5, Math.sqrt(sq / count - mean * mean), 1e-4);
            }
            NDArray modelUnits = z.toNDArray(m).mul(2).sub(1);
            NDArray x = space.decode(modelUnits);
            assertArrayEquals(new long[] {40, 1, 8, 8}, x.getShape().getShape());
            NDArray direct = ae.decode(ae.encode(d.toNDArray(m).mul(2).sub(1)));
            assertTrue(x.sub(direct).abs().max().getFloat() < 1e-4f, "decode(encode(x)) through the scale = the autoencoder's own");
        }
    }

    @Test
    void aLatentDdpmCarriesItsAutoencoderAndSamplesImages(@TempDir Path dir) throws Exception {
        Runtime.init();
        DataSet d = images(64);
        UNetConfig net = UNetConfig.builder().inChannels(2).outChannels(2).ch(8).chMult(1).numResBlocks(1).attnResolutions()
                .dropout(0f).groups(4).build();
        DdpmSpec spec = DdpmSpec.unet(net, 2, 4, 4, NoiseSchedule.linear(50, 1e-3, 0.2), GaussianDiffusion.LossType.L2);
        TrainConfig cfg = TrainConfig.builder().steps(4).batchSize(16).lr(1e-3).warmupSteps(1).emaDecay(0.9)
                .checkpointEvery(4).sampleEvery(4).logEvery(1000).threads(1).build();
        float[] expected;
        try (NDManager m = Runtime.newManager(); Autoencoder ae = Autoencoder.create(AE, m, 1); Ddpm ddpm = Ddpm.create(spec, m, 2)) {
            LatentSpace space = LatentSpace.measure(ae, d, 1.0);
            DataSet z = space.encode(d);
            Batcher b = Batcher.builder(z).batchSize(16).seed(1).shuffle(true).dropLast(true)
                    .scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
            LatentDdpmTask task = new LatentDdpmTask(ddpm, new DdpmTask(ddpm, null, null), space);
            try (RunFolder f = RunFolder.open(dir.resolve("run")); Trainer t = f.attach(new Trainer(task, (step, mm) -> {
                Batcher.Batch bb = b.batch(step);
                return new Batch(mm.create(bb.x(), new Shape(bb.shape())), null);
            }, cfg, m))) {
                t.run();
                t.checkpoint().weightsOnly("{}").write(dir.resolve("model.safetensors"));
            }
            assertTrue(Files.isRegularFile(dir.resolve("run/samples/step-0000004.png")), "the progress picture is drawn");
            expected = space.decode(z.subset(3).toNDArray(m).mul(2).sub(1)).toFloatArray();
        }
        for (Path source : new Path[] {dir.resolve("run"), dir.resolve("model.safetensors")}) {
            try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.load(source, true, m); LatentSpace space = LatentSpace.load(source, m)) {
                assertTrue(Checkpoint.read(Checkpoint.fileOf(source), m).has(LatentSpace.SECTION), source + " holds the autoencoder");
                // the stored autoencoder and scale decode exactly as the ones trained with
                assertArrayEquals(expected, space.decode(encodedRows(space, d, m)).toFloatArray(), 1e-5f);
                NDArray zs = ddpm.sampling(5).sampler(new DdimSampler(spec.schedule(), 5, 0, false)).manager(m).draw();
                NDArray xs = space.decode(zs);
                assertArrayEquals(new long[] {5, 1, 8, 8}, xs.getShape().getShape());
                assertTrue(xs.max().getFloat() <= 1f && xs.min().getFloat() >= -1f, "images in [-1, 1]");
            }
        }
        try (NDManager m = Runtime.newManager()) {
            Path plain = dir.resolve("plain.safetensors");
            try (Ddpm ddpm = Ddpm.create(spec, m, 2); Trainer t = new Trainer(new DdpmTask(ddpm, null, null), (step, mm) -> null, cfg, m)) {
                t.checkpoint().weightsOnly("{}").write(plain);
            }
            assertNull(LatentSpace.load(plain, m), "a DDPM of images has no latent space");
        }
    }

    /** The first three rows of d's latents in the DDPM's units, as the loaded space encodes them. */
    private static NDArray encodedRows(LatentSpace space, DataSet d, NDManager m) {
        return space.encode(d.subset(3)).toNDArray(m).mul(2).sub(1);
    }
}
