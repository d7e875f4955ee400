package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmTask;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.NamedArrays;
import org.diffusion4j.train.TrainingTask;

/**
 * Algorithm 1 on the latents of a fixed autoencoder (latent diffusion): the loss and the weights
 * are the DDPM's ({@link DdpmTask}, unchanged: it trains on whatever rows it is given), the model
 * description adds the latent space, every checkpoint carries the autoencoder's weights, and the
 * progress pictures show decoded samples.
 */
public final class LatentDdpmTask implements TrainingTask {
    private final Ddpm ddpm;
    private final DdpmTask inner;
    private final LatentSpace latent;

    /** @param inner the DDPM's own task, on data that {@code latent} encoded */
    public LatentDdpmTask(Ddpm ddpm, DdpmTask inner, LatentSpace latent) {
        this.ddpm = ddpm;
        this.inner = inner;
        this.latent = latent;
    }

    @Override
    public String kind() {
        return inner.kind();
    }

    @Override
    public Block model() {
        return inner.model();
    }

    @Override
    public NDArray loss(Batch batch) {
        return inner.loss(batch);
    }

    @Override
    public String describe() {
        JsonObject o = JsonParser.parseString(inner.describe()).getAsJsonObject();
        o.add(LatentSpace.SECTION, JsonParser.parseString(latent.describe()));
        return o.toString();
    }

    @Override
    public Map<String, NamedArrays> fixedSections() {
        return Map.of(LatentSpace.SECTION, latent.weights());
    }

    /** 64 samples (DDIM, 50 steps, eta 0, the fixed seed of {@link DdpmTask}), decoded. */
    @Override
    public void snapshot(long step, Path runDir) throws IOException {
        try (NDManager m = ddpm.network().getParameters().valueAt(0).getArray().getManager().newSubManager()) {
            NDArray x = latent.decode(inner.snapshotSamples(64, false, m)); // latents are not in [-1, 1]: no clipping
            ImageGrid.save(DdpmTask.snapshotPath(runDir, step), ImageGrid.fromMinusOneOne(x.toFloatArray()), x.getShape().getShape(),
                    8, 2, 2);
        }
    }
}
