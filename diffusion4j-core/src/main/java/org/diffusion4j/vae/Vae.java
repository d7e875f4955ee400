package org.diffusion4j.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntConsumer;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.vae.Bounds;
import org.diffusion4j.vae.VaeModel;
import org.diffusion4j.vae.VaeSpec;

/**
 * A VAE ready to use: its spec and its networks with weights. Create a fresh one to train, or
 * load one from a run folder or checkpoint to sample, reconstruct, interpolate and evaluate.
 * Data go in and come out in data units ([0, 1] for images); decoder outputs are shown as their
 * means (sigmoid of the logits for Bernoulli).
 *
 * <p>Thread-safety: one thread at a time; its sampling and evaluation seed PyTorch's global
 * generator. {@link VaeTraining} trains one; {@link #save} and {@link #load(Path)} write and read it.
 */
public final class Vae implements AutoCloseable {
    public static final String KIND = "vae";
    /** Decoder rows per pass when evaluating: bounds memory for any k. */
    public static final int EVAL_ROWS = 2048;
    /**
     * Floats of the largest activation of one evaluation pass of an autoregressive decoder:
     * tensors below glibc's largest mmap threshold (32 MB) are reused from the heap instead of
     * being mapped and page-faulted afresh each pass (measured: 3x faster than 2048 rows).
     */
    private static final int PIXEL_PASS_FLOATS = 8_000_000;

    private final VaeSpec spec;
    /** What the model was trained on, as its run recorded it (null for a model made in code). */
    private final JsonObject data;
    private final NDManager manager;
    private final VaeModel model;
    private final ParameterStore ps;

    /** The header the model was read with or trained under (provenance kept by {@link #save}), or null. */
    private volatile JsonObject header;

    private Vae(VaeSpec spec, NDManager manager, long seed, JsonObject data) {
        this.spec = spec;
        this.data = data;
        this.manager = manager;
        TorchRuntime.seed(seed);
        this.model = VaeModel.create(spec, manager);
        this.ps = new ParameterStore(manager, false);
    }

    /** A new model with weights initialised from {@code seed}. */
    public static Vae create(VaeSpec spec, NDManager parent, long seed) {
        return new Vae(spec, parent.newSubManager(), seed, null);
    }

    /** A new model with weights initialised from {@code seed}, with a manager of its own (closed with it). */
    public static Vae create(VaeSpec spec, long seed) {
        return new Vae(spec, TorchRuntime.newManager(), seed, null);
    }

    /** Loads a model from a run folder (its checkpoint.bin) or a checkpoint file, EMA or raw weights. */
    public static Vae load(Path runOrCheckpoint, boolean ema, NDManager parent) {
        return read(runOrCheckpoint, ema, parent.newSubManager());
    }

    /** Loads the EMA weights of a model file, run folder or checkpoint, with a manager of its own (closed with the model). */
    public static Vae load(Path file) {
        return read(file, true, TorchRuntime.newManager());
    }

    private static Vae read(Path runOrCheckpoint, boolean ema, NDManager own) {
        Path file = Checkpoint.fileOf(runOrCheckpoint);
        try (NDManager tmp = own.newSubManager()) {
            Checkpoint c = Checkpoint.read(file, tmp).requireKind(KIND, file);
            JsonObject model = JsonParser.parseString(c.modelJson()).getAsJsonObject();
            Vae v = new Vae(VaeSpec.fromJson(model.getAsJsonObject("spec").toString()), own, 0,
                    model.has("data") ? model.getAsJsonObject("data") : null);
            c.loadWeightsInto(v.model, ema, file.toString());
            v.header = JsonParser.parseString(c.header()).getAsJsonObject();
            return v;
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * Writes the model as a model file (safetensors): the weights it holds (the EMA weights of a
     * trained or loaded model) in float32, its spec and the provenance it was loaded or trained
     * with; {@link #load(Path)} reads it back bit for bit.
     */
    public void save(Path file) {
        JsonObject h = header;
        JsonObject described = h != null && h.has("model") ? h.getAsJsonObject("model").deepCopy() : new JsonObject();
        described.add("spec", JsonParser.parseString(spec.toJson()));
        Checkpoint.ofModel(KIND, h == null ? null : h.toString(), described.toString(), model).write(file);
    }

    /** Keeps the header of a training run (its provenance) for {@link #save}. */
    void setHeader(String headerJson) {
        header = JsonParser.parseString(headerJson).getAsJsonObject();
    }

    /**
     * The encoder's q(z|x) = N(mu, exp(logVar)) of images or rows x [n, row...] (or [n, D]), each
     * [n, L], in x's manager. An unconditional model; a CVAE takes {@link #encode(NDArray, int[])}.
     */
    public VaeModel.Posterior encode(NDArray x) {
        return encode(x, null);
    }

    /** As {@link #encode(NDArray)} with the class of each row (a CVAE's encoder sees it; the others ignore it). */
    public VaeModel.Posterior encode(NDArray x, int[] classes) {
        long n = x.getShape().get(0);
        if (x.getShape().size() != n * spec.dim()) {
            throw new InvalidArgumentException("x", x.getShape(), "does not hold rows of this model's " + spec.dim() + " values");
        }
        NDManager out = x.getManager();
        try (NDManager s = out.newSubManager()) {
            NDArray xx = x.reshape(n, spec.dim());
            NDArray y = spec.conditional() == VaeSpec.Conditional.CVAE ? labels(classes, s) : null;
            VaeModel.Posterior q = model.encode(ps, xx, y, false);
            NDArray mu = q.mu();
            NDArray logVar = q.logVar();
            mu.attach(out);
            logVar.attach(out);
            return new VaeModel.Posterior(mu, logVar);
        }
    }

    /** The decoder means of z [n, L], shaped [n, row...], in z's manager: the pair of {@link #encode(NDArray)}. */
    public NDArray decode(NDArray z) {
        return decode(z, null, z.getManager());
    }

    /**
     * The data description its training run recorded (run folders and exported files alike), as
     * JSON text, or null.
     */
    public String dataDescription() {
        return data == null ? null : data.toString();
    }

    public VaeSpec spec() {
        return spec;
    }

    public VaeModel model() {
        return model;
    }

    public ParameterStore parameterStore() {
        return ps;
    }

    /** Throws an InvalidArgumentException unless classLabel is a label of this (conditional) model. */
    public void checkClass(int classLabel) {
        if (!spec.isConditional()) {
            throw new InvalidArgumentException("classLabel", classLabel, "needs a conditional model (one trained with "
                    + "a class-prior or cvae conditional); this one is unconditional");
        }
        if (classLabel < 0 || classLabel >= spec.numClasses()) {
            throw new InvalidArgumentException("classLabel", classLabel, "is outside the labels 0.."
                    + (spec.numClasses() - 1) + " of this model");
        }
    }

    private NDArray labels(int[] classes, NDManager m) {
        if (classes == null) {
            if (spec.isConditional()) {
                throw new UserException("this conditional model needs a class label for each sample; classes is null");
            }
            return null;
        }
        for (int y : classes) {
            checkClass(y);
        }
        return m.create(classes);
    }

    /** z [n, L] from the prior: N(0, I), or N(mu^Y, I) for the class-prior variant. Seeds PyTorch. */
    public NDArray priorSample(int[] classes, int n, long seed, NDManager out) {
        TorchRuntime.seed(seed);
        NDArray y = labels(classes, out);
        NDArray eps = out.randomNormal(new Shape(n, spec.latent()));
        NDArray mean = model.priorMean(ps, y);
        if (mean == null) {
            return eps;
        }
        return eps.add(mean);
    }

    /**
     * Decoder means of z [n, L] (labels for a CVAE), shaped [n, row...], in {@code out}. For an
     * autoregressive decoder, x is drawn pixel by pixel and each pixel shows its probability
     * p(x_i = 1 | x_{&lt;i}, z) given the pixels drawn before it (PyTorch's generator as it stands).
     */
    public NDArray decode(NDArray z, int[] classes, NDManager out) {
        return decode(z, classes, false, out);
    }

    /**
     * As {@link #decode(NDArray, int[], NDManager)}, or with {@code binary} the draws x ~ p(x|z)
     * themselves, 0 or 1 per pixel, instead of their probabilities (Bernoulli models only): for an
     * autoregressive decoder the pixels drawn one by one, for a factorised one x_i ~ Bernoulli(mean_i).
     */
    public NDArray decode(NDArray z, int[] classes, boolean binary, NDManager out) {
        if (binary && spec.likelihood() != VaeSpec.Likelihood.BERNOULLI) {
            throw new UserException("binary draws need a Bernoulli model; this one has a Gaussian likelihood");
        }
        try (NDManager s = out.newSubManager()) {
            NDArray zz = z.duplicate();
            zz.attach(s);
            NDArray y = spec.conditional() == VaeSpec.Conditional.CVAE ? labels(classes, s) : null;
            NDArray x;
            if (spec.autoregressive()) {
                x = model.sampleAutoregressive(ps, model.features(ps, zz, y, false), s)[binary ? 0 : 1];
            } else {
                x = model.mean(model.decode(ps, zz, y, null, false));
                if (binary) {
                    x = s.randomUniform(0f, 1f, x.getShape()).lt(x).toType(DataType.FLOAT32, false);
                }
            }
            x = x.reshape(spec.batchShape(z.getShape().get(0)));
            x.attach(out);
            return x;
        }
    }

    /** n samples: z from the prior (of the given classes, one per sample, or null) then the decoder mean. */
    public NDArray sample(int[] classes, int n, long seed, NDManager out) {
        return sample(classes, n, seed, false, out);
    }

    /** As above, or with {@code binary} the binary draws x ~ p(x|z) (see {@link #decode(NDArray, int[], boolean, NDManager)}). */
    public NDArray sample(int[] classes, int n, long seed, boolean binary, NDManager out) {
        try (NDManager s = out.newSubManager()) {
            return decode(priorSample(classes, n, seed, s), classes, binary, out);
        }
    }

    /** The posterior means mu(x) of the rows of d (with their labels for a CVAE): [n, L] as floats. */
    public float[] encodeMeans(DataSet d, NDManager parent) {
        float[] out = new float[d.size() * spec.latent()];
        int batch = 500;
        for (int from = 0; from < d.size(); from += batch) {
            int c = Math.min(batch, d.size() - from);
            DataSet part = d.subset(from, c);
            try (NDManager s = parent.newSubManager()) {
                NDArray x = s.create(part.data(), new Shape(c, spec.dim()));
                NDArray y = spec.conditional() == VaeSpec.Conditional.CVAE ? s.create(requireLabels(part)) : null;
                float[] mu = model.encode(ps, x, y, false).mu().toFloatArray();
                System.arraycopy(mu, 0, out, from * spec.latent(), mu.length);
            }
        }
        return out;
    }

    /** Reconstructions decoder(mu(x)) of the rows of d, [n, row...] in {@code out}. */
    public NDArray reconstruct(DataSet d, NDManager out) {
        float[] mu = encodeMeans(d, out);
        try (NDManager s = out.newSubManager()) {
            NDArray z = s.create(mu, new Shape(d.size(), spec.latent()));
            return decode(z, spec.conditional() == VaeSpec.Conditional.CVAE ? requireLabels(d) : null, out);
        }
    }

    private int[] requireLabels(DataSet d) {
        if (!d.hasLabels()) {
            throw new UserException(d.name() + " has no labels, which this conditional model needs");
        }
        int[] l = d.labels();
        for (int y : l) {
            if (y < 0 || y >= spec.numClasses()) {
                throw new UserException(d.name() + ": label " + y + " is outside the model's 0.." + (spec.numClasses() - 1));
            }
        }
        return l;
    }

    /** Decoder rows per evaluation pass. */
    private int evalRows() {
        return spec.autoregressive() ? Math.max(16, Math.min(EVAL_ROWS, PIXEL_PASS_FLOATS / (spec.pixelChannels() * spec.dim()))) : EVAL_ROWS;
    }

    /** Test-set numbers in nats per example: the ELBO (closed-form KL) and the k-sample IW bound. */
    public record Evaluation(int n, int k, double elbo, double iwBound, double seconds) {
        /** The negative log-likelihood estimate -IW_k. */
        public double nll() {
            return -iwBound;
        }
    }

    /**
     * Evaluates the rows of d (binary for a Bernoulli model; labels used by conditional models) with
     * k importance samples per example, in batches of {@code batch} rows; reports rows done to
     * {@code progress}. Seeds PyTorch with {@code seed}.
     */
    public Evaluation evaluate(DataSet d, int k, int batch, long seed, IntConsumer progress, NDManager parent) {
        if (k < 1) {
            throw new InvalidArgumentException("k", k, "must be at least 1");
        }
        if (d.rowSize() != spec.dim()) {
            throw new UserException(d.name() + " has rows of " + d.rowSize() + " values; the model expects " + spec.dim());
        }
        int[] labels = spec.isConditional() ? requireLabels(d) : null;
        long t0 = System.nanoTime();
        TorchRuntime.seed(seed);
        double elbo = 0;
        double iw = 0;
        for (int from = 0; from < d.size(); from += batch) {
            int c = Math.min(batch, d.size() - from);
            try (NDManager s = parent.newSubManager()) {
                NDArray x = s.create(java.util.Arrays.copyOfRange(d.data(), from * spec.dim(), (from + c) * spec.dim()),
                        new Shape(c, spec.dim()));
                NDArray y = labels == null ? null : s.create(java.util.Arrays.copyOfRange(labels, from, from + c));
                Bounds.LogWeights w = Bounds.logWeights(model, ps, x, y, k, evalRows());
                for (int i = 0; i < c; i++) {
                    elbo += w.elbo(i);
                    iw += w.iwBound(i);
                }
            }
            progress.accept(from + c);
        }
        return new Evaluation(d.size(), k, elbo / d.size(), iw / d.size(), (System.nanoTime() - t0) / 1e9);
    }

    @Override
    public void close() {
        manager.close();
    }
}
