package org.diffusion4j.vae;

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
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.TrainingTask;

/**
 * VAE training as a task of the shared loop: loss = mean over the batch of -log p(x|z) +
 * beta_t KL (beta_t rising linearly over the spec's KL warm-up). Pictures (drawn by the loop with
 * the EMA weights, fixed seed): samples/step-*.png (one row per class for a conditional model),
 * reconstructions.png and, with labels, latents.png.
 *
 * <p>The KL warm-up needs the step: train with the source returned by {@link #source(BatchSource)}.
 */
public final class VaeTask implements TrainingTask {
    public static final long SNAPSHOT_SEED = 1234;

    private final Vae vae;
    private final String data;
    private final DataSet reference;
    private volatile long step;

    /** The task of training {@code vae}, with pictures of its samples only. */
    public VaeTask(Vae vae) {
        this(vae, null, null);
    }

    /** The task of training {@code vae}, with reconstruction and latent pictures of {@code reference}'s rows (binary for Bernoulli). */
    public VaeTask(Vae vae, DataSet reference) {
        this(vae, null, java.util.Objects.requireNonNull(reference, "reference"));
    }

    /**
     * For the command line, which records how to read its data again: {@link #VaeTask(Vae)} and
     * {@link #VaeTask(Vae, DataSet)} are the library's constructors.
     *
     * @param data a description of the training data as a JSON object (or null: none), saved in config.json (for resume)
     * @param reference rows for reconstruction and latent pictures (binary for Bernoulli; may be null)
     */
    public VaeTask(Vae vae, String data, DataSet reference) {
        this.vae = vae;
        this.data = data;
        this.reference = reference;
    }

    /** The source to train from: passes each step's number to the task (for the KL warm-up). */
    public BatchSource source(BatchSource inner) {
        return (s, m) -> {
            step = s;
            return inner.batch(s, m);
        };
    }

    /** The KL weight of the current step. */
    public double klWeight() {
        return vae.spec().klWeight(step);
    }

    @Override
    public String kind() {
        return Vae.KIND;
    }

    @Override
    public Block model() {
        return vae.model();
    }

    @Override
    public NDArray loss(Batch batch) {
        NDArray y = vae.spec().isConditional() ? batch.labels() : null;
        if (vae.spec().isConditional() && y == null) {
            throw new org.diffusion4j.UserException("a conditional VAE needs labelled data");
        }
        return Bounds.terms(vae.model(), vae.parameterStore(), batch.x(), y, true).loss(klWeight());
    }

    @Override
    public String describe() {
        JsonObject o = new JsonObject();
        o.add("spec", JsonParser.parseString(vae.spec().toJson()));
        if (data != null) {
            o.add("data", JsonParser.parseString(data));
        }
        return o.toString();
    }

    @Override
    public void snapshot(long step, Path runDir) throws IOException {
        VaeSpec spec = vae.spec();
        try (NDManager m = vae.model().getParameters().valueAt(0).getArray().getManager().newSubManager()) {
            String name = String.format(Locale.ROOT, "samples/step-%07d.png", step);
            if (spec.isConditional()) {
                int per = spec.isImage() ? 8 : 200;
                int[] classes = new int[spec.numClasses()];
                int[] each = new int[spec.numClasses() * per];
                for (int c = 0; c < spec.numClasses(); c++) {
                    classes[c] = c;
                    java.util.Arrays.fill(each, c * per, (c + 1) * per, c);
                }
                NDArray x = vae.sample(each, each.length, SNAPSHOT_SEED, m);
                ImageGrid.writePng(runDir.resolve(name), VaePictures.classGrid(spec, x, classes, per));
            } else {
                int n = spec.isImage() ? 64 : 2000;
                NDArray x = vae.sample(null, n, SNAPSHOT_SEED, m);
                ImageGrid.writePng(runDir.resolve(name), VaePictures.samples(spec, x, reference, "step " + step));
            }
            if (reference != null) {
                DataSet few = reference.subset(Math.min(reference.size(), spec.isImage() ? 32 : 1000));
                NDArray r = vae.reconstruct(few, m);
                ImageGrid.writePng(runDir.resolve("reconstructions.png"),
                        VaePictures.reconstructions(spec, few.data(), r.toFloatArray(), few.size(), 16));
                if (reference.hasLabels() && spec.latent() >= 2) {
                    DataSet many = reference.subset(Math.min(reference.size(), 2000));
                    float[] mu = vae.encodeMeans(many, m);
                    NDArray cm = vae.model().classMeans();
                    ImageGrid.writePng(runDir.resolve("latents.png"), VaePictures.latentScatter(mu, spec.latent(), many.labels(),
                            reference.numClasses(), cm == null ? null : cm.toFloatArray(), "latent means, step " + step));
                }
            }
        }
    }
}
