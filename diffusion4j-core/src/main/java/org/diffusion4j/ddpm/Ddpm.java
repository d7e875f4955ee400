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
import org.diffusion4j.diffusion.BlockDenoiser;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.GaussianDiffusion;
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
    private final Denoiser networkOutput;
    private final Denoiser denoiser;

    private Ddpm(DdpmSpec spec, NDManager parent, long seed) {
        this.spec = spec;
        this.manager = parent.newSubManager();
        Runtime.seed(seed);
        this.network = spec.newNetwork(manager);
        this.diffusion = new GaussianDiffusion(spec.schedule(), manager);
        this.networkOutput = new BlockDenoiser(network, new CastingParameterStore(manager));
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

    /** The noise predictor eps_theta(x_t, t), whatever the network predicts (for samplers and bounds). */
    public Denoiser denoiser() {
        return denoiser;
    }

    /** The network itself, whose output is a prediction of the spec's type (what Algorithm 1 trains). */
    public Denoiser networkOutput() {
        return networkOutput;
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
                    NDArray x = sampler.sample(denoiser, spec.batchShape(b), sub, listener);
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
