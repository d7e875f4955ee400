package org.diffusion4j.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.TrainingTask;

/**
 * Autoencoder training as a task of the shared loop: the mean absolute error between a batch of
 * images in [-1, 1] and its reconstruction (L1, which blurs less than L2: the sample metrics
 * punish blur). Its pictures: test images over their reconstructions.
 */
public final class AutoencoderTask implements TrainingTask {
    private final Autoencoder ae;
    private final String data;
    private final DataSet shown;

    /**
     * @param data a description of the training data as a JSON object (or null), saved in config.json
     * @param shown images in [0, 1] whose reconstructions the pictures show (or null: no pictures)
     */
    public AutoencoderTask(Autoencoder ae, String data, DataSet shown) {
        this.ae = ae;
        this.data = data;
        this.shown = shown;
    }

    @Override
    public String kind() {
        return Autoencoder.KIND;
    }

    @Override
    public Block model() {
        return ae.network();
    }

    @Override
    public NDArray loss(Batch batch) {
        NDArray x = batch.x();
        return ae.reconstructForTraining(x).sub(x).abs().mean();
    }

    @Override
    public String describe() {
        JsonObject o = new JsonObject();
        o.add("config", JsonParser.parseString(ae.config().toJson()));
        if (data != null) {
            o.add("data", JsonParser.parseString(data));
        }
        return o.toString();
    }

    @Override
    public void snapshot(long step, Path runDir) throws IOException {
        if (shown == null) {
            return;
        }
        int n = shown.size();
        float[] x = shown.data();
        float[] r = ae.decodeAll(ae.encodeAll(shown), n);
        float[] both = new float[2 * x.length];
        System.arraycopy(x, 0, both, 0, x.length);
        System.arraycopy(r, 0, both, x.length, r.length);
        long[] s = shown.rowShape();
        ImageGrid.save(runDir.resolve(String.format(Locale.ROOT, "samples/step-%07d.png", step)), both,
                new long[] {2L * n, s[0], s[1], s[2]}, n, 2, 2);
    }
}
