package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.diffusion.ClassifierFreeGuidance;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.Noise;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.nn.LowPrecision;
import org.diffusion4j.nn.Precision;

/**
 * A request for samples of one {@link Ddpm}, made by {@link Ddpm#sampling(int)}: every setting
 * has a default (the model's recommended sampler and guidance, batch 64, seed 0, float32, no
 * listener), so {@code ddpm.sampling(64).seed(3).draw()} is a whole request.
 *
 * <p>Sample i of a request (counted from {@link #firstSample}) is a function of the seed and i
 * alone: its noise is {@link Noise#perSample}'s, drawn in Java, so the same seed gives the same
 * samples with any batch size, in any thread, and a job split in parts ({@code firstSample(0)
 * .count(32)} and {@code firstSample(32).count(32)}) gives the samples of one run. Several threads
 * may sample one model at once, each with its own request; a request is not itself thread-safe.
 */
public final class Sampling {
    private final Ddpm ddpm;
    private int n;
    private int batch = 64;
    private long seed;
    private long first;
    private Sampler sampler;
    private SamplerSettings settings;
    private Ddpm.Guide guide;
    private int[] labels;
    private Integer oneLabel;
    private boolean perClass;
    private Double guidance;
    private Precision precision = Precision.FP32;
    private StepListener listener = StepListener.NONE;
    private Ddpm.BatchStore store = Ddpm.BatchStore.NONE;
    private NDManager manager;

    Sampling(Ddpm ddpm, int n) {
        this.ddpm = ddpm;
        this.n = n;
    }

    /** The number of samples (as given to {@link Ddpm#sampling(int)}). */
    public Sampling count(int v) {
        n = v;
        return this;
    }

    /** Samples per network call (default 64); it changes the speed and memory, never the samples. */
    public Sampling batch(int v) {
        batch = v;
        return this;
    }

    /** The seed of the noise (default 0). */
    public Sampling seed(long v) {
        seed = v;
        return this;
    }

    /** The index of the first sample (default 0): {@code firstSample(k).count(m)} draws samples k..k+m-1 of the seed's sequence. */
    public Sampling firstSample(long v) {
        first = v;
        return this;
    }

    /** The sampler by kind and options, built on the model's schedule (default: the model's recommended one). */
    public Sampling sampler(SamplerSettings v) {
        settings = v;
        sampler = null;
        return this;
    }

    /** A sampler object; it must have been made on the model's schedule. */
    public Sampling sampler(Sampler v) {
        sampler = v;
        settings = null;
        return this;
    }

    /** A class-conditional model: every sample of class {@code y} (0..K-1; K is the null class, unconditional). */
    public Sampling classLabel(int y) {
        classLabels();
        oneLabel = y;
        return this;
    }

    /** A class-conditional model: sample i of class {@code y[i]}; as many labels as samples. */
    public Sampling classLabels(int... y) {
        labels = y.clone();
        oneLabel = null;
        perClass = false;
        guide = null;
        return this;
    }

    /** A class-conditional model: the same number of samples of each class, in class order (n / K per class; one row per class in a grid). */
    public Sampling oneRowPerClass() {
        perClass = true;
        labels = null;
        oneLabel = null;
        guide = null;
        return this;
    }

    /** The classifier-free guidance weight w >= 0 (default: the model's recommended one). */
    public Sampling guidance(double w) {
        guidance = w;
        return this;
    }

    /** The labels and guidance together (as the command line builds them). */
    public Sampling guide(Ddpm.Guide g) {
        guide = g;
        labels = null;
        oneLabel = null;
        perClass = false;
        return this;
    }

    /** The number format of the network (default FP32); fp16 computes on float16 copies of the weights. */
    public Sampling precision(Precision v) {
        precision = v;
        return this;
    }

    /** Told after every network call (on the thread that draws). */
    public Sampling listener(StepListener v) {
        listener = v;
        return this;
    }

    /** Where finished batches are kept, so that a long job resumes (default: nowhere). */
    public Sampling store(Ddpm.BatchStore v) {
        store = v;
        return this;
    }

    /**
     * The manager that owns the result (default: the model's own, closed with the model). The
     * samples are drawn on the model's device ({@link Ddpm#device()}) whatever this manager's
     * device; each finished batch is copied to this manager's device.
     */
    public Sampling manager(NDManager v) {
        manager = v;
        return this;
    }

    /** The sampler this request uses: as given, or the settings (or the model's recommended ones) on its schedule. */
    public Sampler sampler() {
        if (sampler != null) {
            NoiseSchedule mine = ddpm.spec().schedule();
            NoiseSchedule its = sampler.schedule();
            if (its != mine && !sameSchedule(its, mine)) {
                throw new InvalidArgumentException("sampler", "on " + its, "does not fit this model's schedule " + mine
                        + "; build it on ddpm.spec().schedule()");
            }
            return sampler;
        }
        return ddpm.samplerFor(settings != null ? settings : ddpm.defaultSampler());
    }

    private static boolean sameSchedule(NoiseSchedule a, NoiseSchedule b) {
        return a.kind() == b.kind() && a.steps() == b.steps() && a.betaStart() == b.betaStart() && a.betaEnd() == b.betaEnd();
    }

    /** The classes asked for and the guidance weight, or null for unconditional samples. */
    public Ddpm.Guide resolvedGuide() {
        if (guide != null) {
            return guide;
        }
        if (labels == null && !perClass) {
            if (guidance != null) {
                ddpm.requireConditional();
            }
            return null;
        }
        int k = ddpm.requireConditional();
        double w = guidance != null ? guidance : ddpm.defaultGuidance();
        if (perClass) {
            return Ddpm.Guide.balanced(n, k, w);
        }
        if (oneLabel != null) {
            return Ddpm.Guide.of(Math.max(0, n), oneLabel, w);
        }
        if (labels.length != n) {
            throw new InvalidArgumentException("classLabels", labels.length + " labels", "must give one label per sample ("
                    + n + ")");
        }
        return new Ddpm.Guide(labels, w);
    }

    /**
     * Draws the samples: [n, row...] float32 in model units ([-1, 1] for images), owned by the
     * request's manager.
     *
     * @throws InvalidArgumentException for a count or batch below 1, a sampler made on another
     *     schedule, a class the model does not have
     */
    public NDArray draw() {
        if (n < 1) {
            throw new InvalidArgumentException("n", n, "must be >= 1 (the number of samples)");
        }
        if (batch < 1) {
            throw new InvalidArgumentException("batch", batch, "must be >= 1 (samples per network call)");
        }
        if (first < 0) {
            throw new InvalidArgumentException("firstSample", first, "must be >= 0");
        }
        Sampler s = sampler();
        Ddpm.Guide g = resolvedGuide();
        if (g != null) {
            g.check(n, ddpm.conditionalDenoiser().numClasses());
        }
        NDManager out = manager != null ? manager : ddpm.manager();
        // Every array of a step lives under the model's manager, on the model's device; a result
        // asked for in a manager on another device is copied there when its batch is done.
        NDManager work = ddpm.manager();
        NDArray[] parts = new NDArray[(n + batch - 1) / batch];
        try (NDManager weights = work.newSubManager();
                LowPrecision scope = LowPrecision.enter(ddpm.network(), precision, weights, false)) {
            for (int i = 0; i < parts.length; i++) {
                int from = i * batch;
                int b = Math.min(batch, n - from);
                parts[i] = store.load(i, out);
                if (parts[i] != null) {
                    continue;
                }
                try (NDManager sub = work.newSubManager()) {
                    Denoiser d = g == null ? ddpm.denoiser() : new ClassifierFreeGuidance(ddpm.conditionalDenoiser(),
                            sub.create(Arrays.copyOfRange(g.labels(), from, from + b)), g.guidance());
                    NDArray x = s.sample(d, ddpm.spec().batchShape(b), Noise.perSample(seed, first + from), sub, listener);
                    x = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
                    x = x.getDevice().equals(out.getDevice()) ? x : x.toDevice(out.getDevice(), false);
                    x.attach(out);
                    parts[i] = x;
                }
                store.save(i, parts[i]);
            }
        }
        if (parts.length == 1) {
            return parts[0];
        }
        NDArray all = NDArrays.concat(new NDList(parts), 0);
        for (NDArray p : parts) {
            p.close();
        }
        return all;
    }
}
