package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import org.diffusion4j.diffusion.SamplerSettings;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.ConditionalDenoiser;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.LabelDropout;
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

    /** Label dropout of a class-conditional model (Ho &amp; Salimans 2022 use 0.1 or 0.2). */
    public static final double DEFAULT_LABEL_DROPOUT = 0.1;

    private final Ddpm ddpm;
    private final String data;
    private final DataSet reference;
    private final double labelDropout;

    /** The task of training {@code ddpm} on labelled or unlabelled data, labels dropped with probability {@value #DEFAULT_LABEL_DROPOUT}. */
    public DdpmTask(Ddpm ddpm) {
        this(ddpm, DEFAULT_LABEL_DROPOUT);
    }

    /**
     * The task of training {@code ddpm} on 2-D points, drawn beside {@code reference} (real points)
     * in the progress pictures; labels dropped with probability {@value #DEFAULT_LABEL_DROPOUT}.
     */
    public DdpmTask(Ddpm ddpm, DataSet reference) {
        this(ddpm, null, java.util.Objects.requireNonNull(reference, "reference"), DEFAULT_LABEL_DROPOUT);
    }

    /** The task of training {@code ddpm} on labelled or unlabelled data, labels dropped with probability {@code labelDropout}. */
    public DdpmTask(Ddpm ddpm, double labelDropout) {
        this(ddpm, null, null, labelDropout);
    }

    /**
     * For the command line, which records how to read its data again: {@link #DdpmTask(Ddpm)} and
     * {@link #DdpmTask(Ddpm, DataSet)} are the library's constructors.
     *
     * @param data a description of the training data as a JSON object (or null: none), saved in config.json (for resume)
     * @param reference real data to draw beside samples of 2-D points (may be null)
     */
    public DdpmTask(Ddpm ddpm, String data, DataSet reference) {
        this(ddpm, data, reference, DEFAULT_LABEL_DROPOUT);
    }

    /**
     * As above; a class-conditional model trains on the batches' labels, each replaced by the
     * null class with probability {@code labelDropout} (classifier-free guidance, {@link LabelDropout}).
     */
    public DdpmTask(Ddpm ddpm, String data, DataSet reference, double labelDropout) {
        this.ddpm = ddpm;
        this.data = data;
        this.reference = reference;
        this.labelDropout = LabelDropout.check(labelDropout);
    }

    /** The probability with which a label is dropped to the null class in training. */
    public double labelDropout() {
        return labelDropout;
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
        return ddpm.diffusion().trainingLoss(denoiserFor(batch), batch.x(), ddpm.spec().loss(), ddpm.spec().objective());
    }

    /** The network of an unconditional model; with the batch's labels, some dropped, of a conditional one. */
    private Denoiser denoiserFor(Batch batch) {
        if (!ddpm.isConditional()) {
            return ddpm.networkOutput();
        }
        if (batch.labels() == null) {
            throw new UserException("a class-conditional model trains on labelled data, and these data have no labels; "
                    + "give a data set with labels (e.g. mnist, or IDX images with --labels)");
        }
        ConditionalDenoiser model = ddpm.conditionalNetworkOutput();
        return model.given(LabelDropout.apply(batch.labels(), labelDropout, model.nullClass()));
    }

    @Override
    public String describe() {
        JsonObject o = new JsonObject();
        o.add("spec", JsonParser.parseString(ddpm.spec().toJson()));
        if (data != null) {
            o.add("data", JsonParser.parseString(data));
        }
        if (ddpm.isConditional()) {
            o.addProperty("labelDropout", labelDropout);
        }
        if (!ddpm.defaultSampler().equals(SamplerSettings.ddpm())) {
            // a recipe's recommended sampler goes with its checkpoints, so 'sample --run' uses it
            o.add(Ddpm.SAMPLING, ddpm.describe().get(Ddpm.SAMPLING));
        }
        return o.toString();
    }

    @Override
    public void snapshot(long step, Path runDir) throws IOException {
        DdpmSpec spec = ddpm.spec();
        try (NDManager m = ddpm.network().getParameters().valueAt(0).getArray().getManager().newSubManager()) {
            NDArray x = snapshotSamples(spec.isImage() ? 64 : 2000, spec.isImage(), m);
            Pictures.save(snapshotPath(runDir, step), Pictures.samples(spec, x, reference, "step " + step));
        }
    }

    /**
     * The samples of a progress picture, in {@code m}: n of them by DDIM (50 steps, eta 0) from
     * {@link #SNAPSHOT_SEED}; a class-conditional model shows every class, n / K of each, with
     * guidance w = 1.
     */
    public NDArray snapshotSamples(int n, boolean clipX0, NDManager m) {
        DdpmSpec spec = ddpm.spec();
        Ddpm.Guide guide = ddpm.isConditional() ? Ddpm.Guide.balanced(n, spec.numClasses(), 1.0) : null;
        return ddpm.sampling(n).batch(n).sampler(new DdimSampler(spec.schedule(), Math.min(50, spec.schedule().steps()), 0, clipX0))
                .seed(SNAPSHOT_SEED).guide(guide).manager(m).draw();
    }

    /** Where the progress picture of {@code step} goes in a run folder. */
    public static Path snapshotPath(Path runDir, long step) {
        return runDir.resolve(String.format(Locale.ROOT, "samples/step-%07d.png", step));
    }
}
