package org.diffusion4j.ddpm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.diffusion4j.Devices;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.BlockDenoiser;
import org.diffusion4j.diffusion.ClassifierFreeGuidance;
import org.diffusion4j.diffusion.ConditionalDenoiser;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.Prediction;
import org.diffusion4j.diffusion.PredictionDenoiser;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.nn.CastingParameterStore;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;

/**
 * A DDPM ready to use: its spec, its network with weights, the diffusion process around it, and
 * the sampler its file recommends. {@link DdpmTraining} trains one; {@link #load} reads one,
 * {@link #save} writes one; {@link #sample} and {@link #sampling} draw from it.
 *
 * <p>Thread-safety: several threads may sample one model at once (each with its own {@link
 * Sampling}); the samples do not depend on the threads. Creating, loading and training seed
 * PyTorch's global generator (for the initial weights) and are not to run beside each other.
 * Training and sampling one model at the same time is not supported.
 */
public final class Ddpm implements AutoCloseable {
    public static final String KIND = "ddpm";
    /** The key of the recommended sampler and guidance in the model description. */
    static final String SAMPLING = "sampling";

    private final DdpmSpec spec;
    private final NDManager manager;
    private final Block network;
    private final GaussianDiffusion diffusion;
    private final BlockDenoiser networkOutput;
    private final Denoiser denoiser;
    private volatile SamplerSettings defaultSampler = SamplerSettings.ddpm();
    private volatile double defaultGuidance = 1.0;
    /** The header the model was read with or trained under (provenance kept by {@link #save}), or null. */
    private volatile JsonObject header;

    private Ddpm(DdpmSpec spec, NDManager manager, long seed) {
        this.spec = spec;
        this.manager = manager;
        TorchRuntime.seed(seed);
        this.network = spec.newNetwork(manager);
        this.diffusion = new GaussianDiffusion(spec.schedule(), manager);
        this.networkOutput = new BlockDenoiser(network, new CastingParameterStore(manager), spec.numClasses());
        // The samplers work with eps: a network predicting x0 or v is read through the conversion.
        this.denoiser = PredictionDenoiser.of(networkOutput, spec.objective().prediction(), diffusion);
    }

    /**
     * A new model with weights initialised from {@code seed}, its arrays in a sub-manager of {@code
     * parent} (on its device; the initial weights are drawn on the CPU, so a seed gives the same
     * ones on every device).
     */
    public static Ddpm create(DdpmSpec spec, NDManager parent, long seed) {
        if (!parent.getDevice().isGpu()) {
            return new Ddpm(spec, parent.newSubManager(), seed);
        }
        try (Ddpm onCpu = create(spec, Device.cpu(), seed)) {
            return onCpu.copyInto(parent.newSubManager());
        }
    }

    /** A new model with weights initialised from {@code seed}, with a manager of its own (closed with it), on the CPU. */
    public static Ddpm create(DdpmSpec spec, long seed) {
        return create(spec, Device.cpu(), seed);
    }

    /**
     * A new model with weights initialised from {@code seed}, its arrays on {@code device} in a
     * manager of its own (closed with it). The initial weights are drawn on the CPU and copied, so
     * a seed gives the same initial weights on every device.
     *
     * @throws UserException if this process cannot use the device (see {@link Devices#require})
     */
    public static Ddpm create(DdpmSpec spec, Device device, long seed) {
        Devices.require(device);
        if (!device.isGpu()) {
            return new Ddpm(spec, TorchRuntime.newManager(device), seed);
        }
        try (Ddpm onCpu = create(spec, Device.cpu(), seed)) {
            return onCpu.copyInto(TorchRuntime.newManager(device));
        }
    }

    /** This model's spec, weights, recommended sampler and provenance in {@code own} (on its device), closed if the copy fails. */
    private Ddpm copyInto(NDManager own) {
        try {
            Ddpm d = new Ddpm(spec, own, 0);
            NamedArrays.parametersOf(d.network).copyFrom(NamedArrays.parametersOf(network));
            d.header = header;
            d.defaultSampler = defaultSampler;
            d.defaultGuidance = defaultGuidance;
            return d;
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * Loads a model from a run folder (its checkpoint.bin) or a checkpoint file, with the EMA
     * weights (the ones to sample from) or the raw trained ones.
     */
    public static Ddpm load(Path runOrCheckpoint, boolean ema, NDManager parent) {
        return read(runOrCheckpoint, ema, parent.newSubManager());
    }

    /** Loads the EMA weights of a model file, run folder or checkpoint, with a manager of its own (closed with the model). */
    public static Ddpm load(Path file) {
        return load(file, Device.cpu());
    }

    /**
     * Loads the EMA weights of a model file, run folder or checkpoint onto {@code device}, with a
     * manager of its own (closed with the model).
     *
     * @throws UserException if this process cannot use the device (see {@link Devices#require})
     */
    public static Ddpm load(Path file, Device device) {
        TorchRuntime.init();
        return read(file, true, TorchRuntime.newManager(device));
    }

    /** Reads a model into {@code own}, its manager from now on (closed if the reading fails). */
    private static Ddpm read(Path runOrCheckpoint, boolean ema, NDManager own) {
        Path file = Checkpoint.fileOf(runOrCheckpoint);
        try (NDManager tmp = own.newSubManager()) {
            Checkpoint c = Checkpoint.read(file, tmp).requireKind(KIND, file);
            JsonObject model = JsonParser.parseString(c.modelJson()).getAsJsonObject();
            Ddpm d = new Ddpm(DdpmSpec.fromJson(model.getAsJsonObject("spec").toString()), own, 0);
            c.loadWeightsInto(d.network, ema, file.toString());
            d.header = JsonParser.parseString(c.header()).getAsJsonObject();
            if (model.has(SAMPLING)) {
                JsonObject sampling = model.getAsJsonObject(SAMPLING);
                if (sampling.has("sampler")) {
                    d.defaultSampler = SamplerSettings.fromJson(sampling.get("sampler").toString());
                }
                if (sampling.has("guidance")) {
                    d.defaultGuidance = sampling.get("guidance").getAsDouble();
                }
            }
            return d;
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * Writes the model as a model file (safetensors, docs/model-files.md): the weights it holds
     * (the EMA weights of a trained or loaded model) in float32, its spec, its recommended sampler
     * and guidance, and the provenance it was loaded or trained with. {@link #load(Path)} reads it
     * back bit for bit; 'sample --run FILE' samples it.
     */
    public void save(Path file) {
        JsonObject h = header;
        Checkpoint.ofModel(KIND, h == null ? null : h.toString(), describe().toString(), network).write(file);
    }

    /** The model description of a file: the spec, and the recommended sampler and guidance. */
    JsonObject describe() {
        JsonObject model = header != null && header.has("model") ? header.getAsJsonObject("model").deepCopy() : new JsonObject();
        model.add("spec", JsonParser.parseString(spec.toJson()));
        JsonObject sampling = new JsonObject();
        sampling.add("sampler", JsonParser.parseString(defaultSampler.toJson()));
        sampling.addProperty("guidance", defaultGuidance);
        model.add(SAMPLING, sampling);
        return model;
    }

    /** Keeps the header of a training run (its provenance) for {@link #save}. */
    void setHeader(String headerJson) {
        header = JsonParser.parseString(headerJson).getAsJsonObject();
    }

    public DdpmSpec spec() {
        return spec;
    }

    /** Where the model's arrays live, and where it trains and samples. */
    public Device device() {
        return manager.getDevice();
    }

    public Block network() {
        return network;
    }

    public GaussianDiffusion diffusion() {
        return diffusion;
    }

    /** The noise predictor eps_theta(x_t, t), whatever the network predicts; for a class-conditional model, with the null class. */
    public Denoiser denoiser() {
        return denoiser;
    }

    /** The network itself, whose output is a prediction of the spec's type (what Algorithm 1 trains). */
    public Denoiser networkOutput() {
        return networkOutput;
    }

    /** The network itself with class labels: the conditional counterpart of {@link #networkOutput()}. */
    public ConditionalDenoiser conditionalNetworkOutput() {
        requireConditional();
        return networkOutput;
    }

    /** Whether the network takes a class label. */
    public boolean isConditional() {
        return spec.numClasses() > 0;
    }

    /**
     * eps(x, t, y) of a class-conditional model.
     *
     * @throws UserException if the model is not class-conditional, or predicts x0 or v (guidance
     *     combines eps predictions)
     */
    public ConditionalDenoiser conditionalDenoiser() {
        requireConditional();
        if (spec.objective().prediction() != Prediction.EPS) {
            throw new UserException("class-conditional sampling needs a model that predicts eps; this one predicts "
                    + spec.objective().prediction());
        }
        return networkOutput;
    }

    /** The number of classes, or a UserException for an unconditional model. */
    int requireConditional() {
        if (!isConditional()) {
            throw new UserException("this model is not class-conditional: it was trained without labels; "
                    + "sample it without a class");
        }
        return spec.numClasses();
    }

    /**
     * A request for n samples with this model's recommended sampler and guidance, batch 64, seed
     * 0: change what you need, then {@link Sampling#draw()}.
     */
    public Sampling sampling(int n) {
        return new Sampling(this, n);
    }

    /**
     * n samples with the recommended sampler, seed 0: [n, row...] in model units ([-1, 1] for
     * images), owned by the model's manager (closed with the model). For a class-conditional
     * model, unconditional samples (the null class); {@code sampling(n).oneRowPerClass()} asks for classes.
     */
    public NDArray sample(int n) {
        return sampling(n).draw();
    }

    /**
     * The sampler the model's file recommends (what {@link #sample} uses): for the bundled MNIST
     * models SDE-DPM-Solver++(2M), 16 trailing steps, eta 1.1; for a file that records none,
     * Algorithm 2 on all T steps.
     */
    public SamplerSettings defaultSampler() {
        return defaultSampler;
    }

    /** The classifier-free guidance weight the model's file recommends (1 unless it records another). */
    public double defaultGuidance() {
        return defaultGuidance;
    }

    /** Makes {@code settings} the recommended sampler (kept by {@link #save}). */
    public void setDefaultSampler(SamplerSettings settings) {
        this.defaultSampler = java.util.Objects.requireNonNull(settings, "settings");
    }

    /** Makes {@code w} the recommended guidance weight (kept by {@link #save}). */
    public void setDefaultGuidance(double w) {
        ClassifierFreeGuidance.check(w);
        this.defaultGuidance = w;
    }

    /** {@code settings} on this model's schedule, clipping only image models' predictions. */
    public Sampler samplerFor(SamplerSettings settings) {
        return settings.withClip(settings.clip() && spec.isImage()).build(spec.schedule());
    }

    NDManager manager() {
        return manager;
    }

    /**
     * What a class-conditional model is asked for: the class of each sample (0..K-1, or K: the null
     * class, unconditional) and the guidance weight w of {@link ClassifierFreeGuidance}.
     */
    public record Guide(int[] labels, double guidance) {
        public Guide {
            labels = labels.clone();
            ClassifierFreeGuidance.check(guidance);
        }

        /** n samples in classes 0..K-1, the same number of each (n / K rows of each class, in class order; the rest cycle). */
        public static Guide balanced(int n, int numClasses, double guidance) {
            int[] y = new int[n];
            int per = Math.max(1, n / numClasses);
            for (int i = 0; i < n; i++) {
                y[i] = i < per * numClasses ? i / per : i % numClasses;
            }
            return new Guide(y, guidance);
        }

        /** n samples of one class. */
        public static Guide of(int n, int label, double guidance) {
            int[] y = new int[n];
            java.util.Arrays.fill(y, label);
            return new Guide(y, guidance);
        }

        @Override
        public int[] labels() {
            return labels.clone();
        }

        void check(int n, int numClasses) {
            if (labels.length != n) {
                throw new InvalidArgumentException("labels", labels.length + " labels", "must give one per sample (" + n + ")");
            }
            for (int y : labels) {
                if (y < 0 || y > numClasses) {
                    throw new InvalidArgumentException("label", y, "is not a class of this model: give 0.."
                            + (numClasses - 1) + " (or " + numClasses + ", the null class)");
                }
            }
        }
    }

    /** Where finished batches of a sampling job are kept between runs. */
    public interface BatchStore {
        /** Keeps nothing: every batch is drawn. */
        BatchStore NONE = new BatchStore() {
            @Override
            public NDArray load(int i, NDManager m) {
                return null;
            }

            @Override
            public void save(int i, NDArray x) {}
        };

        /** Batch i if it was finished before, in {@code m}; else null. */
        NDArray load(int i, NDManager m);

        /** Keeps a batch just finished. */
        void save(int i, NDArray x);
    }

    @Override
    public void close() {
        diffusion.close();
        manager.close();
    }
}
