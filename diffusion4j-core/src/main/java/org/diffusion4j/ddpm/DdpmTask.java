package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.TrainingTask;

/**
 * DDPM training as a task of the shared loop: Algorithm 1's loss, and every so often a picture
 * of samples drawn from the EMA weights with a fixed seed (DDIM, 50 steps, eta 0), so that
 * pictures of different steps are comparable.
 */
public final class DdpmTask implements TrainingTask {
    /** Seed of the progress pictures: the same noise at every snapshot. */
    public static final long SNAPSHOT_SEED = 1234;

    private final Ddpm ddpm;
    private final String data;
    private final DataSet reference;

    /**
     * @param data a description of the training data as a JSON object (or null: none), saved in config.json (for resume)
     * @param reference real data to draw beside samples of 2-D points (may be null)
     */
    public DdpmTask(Ddpm ddpm, String data, DataSet reference) {
        this.ddpm = ddpm;
        this.data = data;
        this.reference = reference;
    }

    @Override
    public String kind() {
        return Ddpm.KIND;
    }

    @Override
    public Block model() {
        return ddpm.network();
    }

    @Override
    public NDArray loss(Batch batch) {
        return ddpm.diffusion().trainingLoss(ddpm.networkOutput(), batch.x(), ddpm.spec().loss(), ddpm.spec().objective());
    }

    @Override
    public String describe() {
        JsonObject o = new JsonObject();
        o.add("spec", JsonParser.parseString(ddpm.spec().toJson()));
        if (data != null) {
            o.add("data", JsonParser.parseString(data));
        }
        return o.toString();
    }

    @Override
    public void snapshot(long step, Path runDir) throws IOException {
        DdpmSpec spec = ddpm.spec();
        int n = spec.isImage() ? 64 : 2000;
        int ddimSteps = Math.min(50, spec.schedule().steps());
        try (NDManager m = ddpm.network().getParameters().valueAt(0).getArray().getManager().newSubManager()) {
            NDArray x = ddpm.sample(n, n, new DdimSampler(spec.schedule(), ddimSteps, 0, spec.isImage()),
                    SNAPSHOT_SEED, StepListener.NONE, m);
            String name = String.format(Locale.ROOT, "samples/step-%07d.png", step);
            Pictures.save(runDir.resolve(name), Pictures.samples(spec, x, reference, "step " + step));
        }
    }
}
