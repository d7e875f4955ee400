package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.diffusion.Prediction;
import org.diffusion4j.latent.Autoencoder;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train --minutes on images: the latent recipe, one command that trains an autoencoder for its
 * share of the budget and then a DDPM on its latents, records its sampler, and resumes.
 */
class LatentRecipeTest {
    @Test
    void aBudgetOnImagesTrainsTheAutoencoderThenTheLatentDdpm(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("fast");
        CliErrorsTest.Outcome o = CliErrorsTest.run("train", "--subset", "512", "--minutes", "0.3", "--out", run.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(RunFolder.holdsRun(run.resolve(LatentRecipe.AE_DIR)), "the autoencoder's run");
        JsonObject recipe = JsonParser.parseString(Files.readString(run.resolve(LatentRecipe.FILE))).getAsJsonObject();
        assertEquals(0.3 * LatentRecipe.AE_SHARE, recipe.get("autoencoderMinutes").getAsDouble(), 1e-12);
        try (NDManager m = TorchRuntime.newManager()) {
            Checkpoint ae = Checkpoint.read(run.resolve(LatentRecipe.AE_DIR).resolve("checkpoint.bin"), m);
            assertEquals(Autoencoder.KIND, ae.kind());
            assertEquals(ae.trainConfig().steps(), ae.step(), "the autoencoder trained to its planned step");
            Checkpoint c = Checkpoint.read(run.resolve("checkpoint.bin"), m);
            assertEquals(c.trainConfig().steps(), c.step(), "the DDPM trained to its planned step");
            assertEquals(LatentRecipe.BATCH, c.trainConfig().batchSize());
            assertEquals(LatentRecipe.LR, c.trainConfig().lr());
        }
        try (Ddpm d = Ddpm.load(run)) {
            // the DDPM learns the autoencoder's 4 x 7 x 7 latents with v-prediction, a one-level U-Net with attention
            assertArrayEquals(new long[] {4, 7, 7}, d.spec().rowShape());
            assertEquals(Prediction.V, d.spec().objective().prediction());
            assertEquals(LatentRecipe.CH, d.spec().unetConfig().ch());
            assertArrayEquals(new int[] {1}, d.spec().unetConfig().chMult());
            assertArrayEquals(new int[] {7}, d.spec().unetConfig().attnResolutions());
            assertEquals(0f, d.spec().unetConfig().dropout());
            assertEquals(LatentRecipe.SAMPLER, d.defaultSampler(), "the recipe's sampler goes with the run");
        }
        Path png = dir.resolve("s.png");
        CliErrorsTest.Outcome s = CliErrorsTest.run("sample", "--run", run.toString(), "--n", "4", "--out", png.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.size(png) > 0);

        // a DDPM phase that saved nothing (killed at once) starts again on --resume; the autoencoder is kept
        long aeBytes = Files.size(run.resolve(LatentRecipe.AE_DIR).resolve("checkpoint.bin"));
        try (Stream<Path> files = Files.list(run)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("checkpoint")).toList()) {
                Files.delete(f);
            }
        }
        assertTrue(LatentRecipe.pending(run));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--resume", run.toString(), "--batch", "8"),
                "--batch cannot be given with --resume");
        CliErrorsTest.Outcome r = CliErrorsTest.run("train", "--resume", run.toString(), "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("training autoencoder"), "the finished autoencoder is not trained again: " + r.err());
        assertTrue(RunFolder.holdsRun(run));
        assertFalse(LatentRecipe.pending(run));
        assertEquals(aeBytes, Files.size(run.resolve(LatentRecipe.AE_DIR).resolve("checkpoint.bin")));
        try (Ddpm d = Ddpm.load(run)) {
            assertEquals(Prediction.V, d.spec().objective().prediction());
        }
    }

    @Test
    void theShippedOneHourModelIsALatentDdpmThatServeRefusesInOneLine() {
        Path model = BundledModels.directory().resolve("ddpm-mnist-1h.safetensors");
        try (Ddpm d = Ddpm.load(model)) {
            assertArrayEquals(new long[] {4, 7, 7}, d.spec().rowShape());
            assertEquals(LatentRecipe.SAMPLER, d.defaultSampler(), "the file recommends the sampler it was measured with");
        }
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("serve", "--model", model.toString(), "--port", "0"),
                "the page does not decode latents yet");
    }

    @Test
    void theRecipeIsRefusedWhereItCannotApply(@TempDir Path dir) throws IOException {
        String out = dir.resolve("x").toString();
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--recipe", "latent", "--steps", "10", "--out", out),
                "give --minutes");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--recipe", "latent", "--minutes", "1", "--data", "toy:moons",
                "--out", out), "--recipe latent encodes images");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--recipe", "latent", "--minutes", "1", "--preset", "tiny",
                "--out", out), "--preset does not go with --recipe latent");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--subset", "100", "--minutes", "1", "--out", out),
                "the latent recipe trains batches of 128");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--recipe", "fast", "--minutes", "1", "--out", out),
                "--recipe must be latent or pixel");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--resume", out, "--recipe", "latent"),
                "--recipe cannot be given with --resume");
        Files.createDirectories(dir.resolve("y").resolve(LatentRecipe.AE_DIR));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--minutes", "1", "--out", dir.resolve("y").toString()),
                "already holds a run of the latent recipe");
        assertFalse(Files.exists(dir.resolve("x")), "nothing written by a refused command");
    }
}
