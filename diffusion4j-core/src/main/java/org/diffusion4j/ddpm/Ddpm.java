package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.Runtime;
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
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.nn.CastingParameterStore;
import org.diffusion4j.nn.LowPrecision;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;
import org.diffusion4j.train.Trainer;

/**
 * A DDPM ready to use: its spec, its network with weights, and the diffusion process around it.
 * Create a fresh one to train, or load one from a run folder or checkpoint to sample.
 */
public final class Ddpm implements AutoCloseable {
    public static final String KIND = "ddpm";

    private final DdpmSpec spec;
    private final NDManager manager;
    private final Block network;
    private final GaussianDiffusion diffusion;
    private final BlockDenoiser networkOutput;
    private final Denoiser denoiser;

    private Ddpm(DdpmSpec spec, NDManager parent, long seed) {
        this.spec = spec;
        this.manager = parent.newSubManager();
        Runtime.seed(seed);
        this.network = spec.newNetwork(manager);
        this.diffusion = new GaussianDiffusion(spec.schedule(), manager);
        this.networkOutput = new BlockDenoiser(network, new CastingParameterStore(manager), spec.numClasses());
        // The samplers work with eps: a network predicting x0 or v is read through the conversion.
        this.denoiser = PredictionDenoiser.of(networkOutput, spec.objective().prediction(), diffusion);
    }

    /** A new model with weights initialised from {@code seed}. */
    public static Ddpm create(DdpmSpec spec, NDManager parent, long seed) {
        return new Ddpm(spec, parent, seed);
    }

    /**
     * Loads a model from a run folder (its checkpoint.bin) or a checkpoint file, with the EMA
     * weights (the ones to sample from) or the raw trained ones.
     */
    public static Ddpm load(Path runOrCheckpoint, boolean ema, NDManager parent) {
        Path file = Checkpoint.fileOf(runOrCheckpoint);
        try (NDManager tmp = parent.newSubManager()) {
            Checkpoint c = Checkpoint.read(file, tmp).requireKind(KIND, file);
            JsonObject model = JsonParser.parseString(c.modelJson()).getAsJsonObject().getAsJsonObject("spec");
            Ddpm d = new Ddpm(DdpmSpec.fromJson(model.toString()), parent, 0);
            c.loadWeightsInto(d.network, ema, file.toString());
            return d;
        }
    }

    public DdpmSpec spec() {
        return spec;
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

    private void requireConditional() {
        if (!isConditional()) {
            throw new UserException("this model is not class-conditional: it was trained without labels; "
                    + "sample it without a class");
        }
    }

    /**
     * Draws n samples in batches of {@code batch}; with the same seed and batch size the same
     * samples come back. Returns [n, row...] in {@code out} (model units: [-1, 1] for images).
     */
    public NDArray sample(int n, int batch, Sampler sampler, long seed, StepListener listener, NDManager out) {
        return sample(n, batch, sampler, seed, listener, out, Precision.FP32, BatchStore.NONE);
    }

    /**
     * As above with the network computing in {@code precision} (fp16: on float16 copies of the
     * weights, made once; the sampler's own arithmetic stays float32), taking finished batches
     * from {@code store} and handing it each new one, so that a long job can resume.
     */
    public NDArray sample(int n, int batch, Sampler sampler, long seed, StepListener listener, NDManager out,
            Precision precision, BatchStore store) {
        return sample(n, batch, sampler, seed, listener, out, precision, store, null);
    }

    /**
     * As above, each sample i of a class-conditional model drawn for class {@code guide.labels()[i]}
     * with classifier-free guidance {@code guide.guidance()} (null: unconditional, the null class).
     */
    public NDArray sample(int n, int batch, Sampler sampler, long seed, StepListener listener, NDManager out,
            Precision precision, BatchStore store, Guide guide) {
        if (guide != null) {
            guide.check(n, conditionalDenoiser().numClasses());
        }
        NDArray[] parts = new NDArray[(n + batch - 1) / batch];
        try (NDManager weights = out.newSubManager();
                LowPrecision scope = LowPrecision.enter(network, precision, weights, false)) {
            for (int i = 0; i < parts.length; i++) {
                int b = Math.min(batch, n - i * batch);
                parts[i] = store.load(i, out);
                if (parts[i] != null) {
                    continue;
                }
                // Each batch is seeded on its own, so that batch i is the same whether or not
                // the batches before it were drawn in this process.
                Runtime.seed(batchSeed(seed, i));
                try (NDManager sub = out.newSubManager()) {
                    Denoiser d = guide == null ? denoiser : new ClassifierFreeGuidance(conditionalDenoiser(),
                            sub.create(java.util.Arrays.copyOfRange(guide.labels, i * batch, i * batch + b)), guide.guidance);
                    NDArray x = sampler.sample(d, spec.batchShape(b), sub, listener);
                    x = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
                    x.attach(out);
                    parts[i] = x;
                }
                store.save(i, parts[i]);
            }
        }
        return parts.length == 1 ? parts[0] : ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(parts), 0);
    }

    /** The seed of batch i of a job seeded with {@code seed}: the seed itself for the first batch. */
    public static long batchSeed(long seed, int i) {
        return seed + i * 0x9E3779B97F4A7C15L; // odd 64-bit golden-ratio step: distinct for every i
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
                throw new IllegalArgumentException(labels.length + " labels for " + n + " samples");
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
