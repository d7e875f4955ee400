package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.TorchRuntime;
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
 * alone, bit for bit: its noise is {@link Noise#perSample}'s, drawn in Java, and (with {@link
 * #exact(boolean)}, the default) every network call has the same rows at the same places, so the
 * same seed gives the same samples with any batch size, in any thread, and a job split in parts
 * ({@code firstSample(0).count(30)} and {@code firstSample(30).count(34)}) gives the samples of one
 * run. Across processes this holds with the same PyTorch thread count ({@link
 * org.diffusion4j.TorchRuntime#setThreads}). Several threads may sample one model at once, each
 * with its own request; a request is not itself thread-safe.
 */
public final class Sampling {
    private final Ddpm ddpm;
    private int n;
    /** The rows of every network call of exact sampling for an image model (see {@link #exact(boolean)}). */
    public static final int EXACT_CHUNK = 32;
    /** The same for a model of points (an MLP on rows of a few numbers, whose calls cost little per row). */
    public static final int EXACT_CHUNK_POINTS = 1024;

    private int batch = 64;
    private boolean exact = true;
    private int chunk;
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

    /**
     * Samples per batch (default 64): the samples finished (and kept by a {@link #store}) at a time.
     * With exact sampling it is rounded up to whole chunks, each chunk a network call of its own;
     * without, it is the rows of each network call. It changes the speed and memory, never the
     * samples when exact.
     */
    public Sampling batch(int v) {
        batch = v;
        return this;
    }

    /** The seed of the noise (default 0). */
    public Sampling seed(long v) {
        seed = v;
        return this;
    }

    /**
     * Exact sampling (default on): every network call has the same number of rows, {@link
     * #chunk(int)} ({@value #EXACT_CHUNK} by default for images, {@value #EXACT_CHUNK_POINTS} for
     * points), and sample i is always row i mod chunk of
     * the call that draws samples chunk * floor(i / chunk) onwards (rows outside the request are
     * drawn and dropped). So sample i comes out the same bit for bit whatever the batch size, the
     * first sample, the thread or the process with the same PyTorch thread count: PyTorch's
     * kernels round a row differently depending on how many rows a call has, and on how many
     * threads share it. The batch then groups whole chunks (rounded up), and sets how many samples
     * a {@link #store} keeps at a time. Off: each batch is one network call of {@link #batch} rows,
     * and samples drawn with different batch sizes agree to float rounding (about 1e-5) only.
     */
    public Sampling exact(boolean on) {
        exact = on;
        return this;
    }

    /**
     * The rows of every network call of exact sampling (default {@value #EXACT_CHUNK} for an image
     * model, {@value #EXACT_CHUNK_POINTS} for points); a sample is the same bit for bit only between
     * requests with the same chunk.
     */
    public Sampling chunk(int rows) {
        if (rows < 1) {
            throw new InvalidArgumentException("chunk", rows, "must be >= 1 (rows per network call of exact sampling)");
        }
        chunk = rows;
        return this;
    }

    /** The rows of each network call when exact, 0 when not (see {@link #exact(boolean)}). */
    public int exactChunk() {
        return !exact ? 0 : chunk > 0 ? chunk : ddpm.spec().isImage() ? EXACT_CHUNK : EXACT_CHUNK_POINTS;
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
        int exact = exactChunk();
        long[][] ranges = parts();
        NDArray[] parts = new NDArray[ranges.length];
        try (TorchRuntime.InferenceScope thread = TorchRuntime.inference();
                NDManager weights = work.newSubManager();
                LowPrecision scope = LowPrecision.enter(ddpm.network(), precision, weights, false)) {
            for (int i = 0; i < parts.length; i++) {
                parts[i] = store.load(i, out);
                if (parts[i] != null) {
                    continue;
                }
                int from = (int) ranges[i][0];
                int b = (int) ranges[i][1];
                NDArray x = exact > 0 ? drawChunks(s, g, from, b, work) : drawRows(s, g, from, b, work, first + from, b, 0);
                x = x.getDevice().equals(out.getDevice()) ? x : x.toDevice(out.getDevice(), false);
                x.attach(out);
                parts[i] = x;
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

    /**
     * The parts of this request: [from, count] (from counted in the request's samples) of each
     * batch, finished and kept (see {@link #store}) one at a time. Without {@link #exact(boolean)}: batches of
     * {@link #batch} samples. With it: whole chunks of the sample sequence, as many as {@link #batch}
     * asks for rounded up (at least one), the first and last cut to the request.
     */
    long[][] parts() {
        int exact = exactChunk();
        if (exact == 0) {
            int count = (n + batch - 1) / batch;
            long[][] r = new long[count][];
            for (int i = 0; i < count; i++) {
                r[i] = new long[] {(long) i * batch, Math.min(batch, n - (long) i * batch)};
            }
            return r;
        }
        long chunksPerPart = (batch + exact - 1) / exact;
        long firstChunk = first / exact;
        long lastChunk = (first + n - 1) / exact;
        int count = (int) ((lastChunk - firstChunk) / chunksPerPart + 1);
        long[][] r = new long[count][];
        for (int i = 0; i < count; i++) {
            long from = Math.max(first, (firstChunk + i * chunksPerPart) * exact);
            long to = Math.min(first + n, (firstChunk + (i + 1) * chunksPerPart) * exact);
            r[i] = new long[] {from - first, to - from};
        }
        return r;
    }

    /** The number of parts (batches) this request is drawn in, one after the other: what a {@link #store} keeps. */
    public int partCount() {
        return parts().length;
    }

    /**
     * The network calls of the whole request with its sampler ({@link Sampler#networkCalls()} per
     * batch, or per chunk when exact): as many as the listener is told about.
     */
    public long networkCalls() {
        return networkCallsOfParts(partCount());
    }

    /** The network calls of the first {@code k} parts (those a {@link #store} may hold from an earlier run). */
    public long networkCallsOfParts(int k) {
        long calls = sampler().networkCalls();
        int exact = exactChunk();
        long[][] r = parts();
        long runs = 0;
        for (int i = 0; i < Math.min(k, r.length); i++) {
            long from = first + r[i][0];
            runs += exact == 0 ? 1 : (from + r[i][1] - 1) / exact - from / exact + 1;
        }
        return calls * runs;
    }

    /** Samples {@code from .. from + b - 1} of the request, chunk by chunk (see {@link #exact(boolean)}). */
    private NDArray drawChunks(Sampler s, Ddpm.Guide g, int from, int b, NDManager work) {
        int exact = exactChunk();
        long start = first + from;
        long end = start + b;
        List<NDArray> rows = new ArrayList<>();
        try (NDManager sub = work.newSubManager()) {
            for (long c = start / exact; c * exact < end; c++) {
                long c0 = c * exact;
                int lo = (int) (Math.max(start, c0) - c0);
                int hi = (int) (Math.min(end, c0 + exact) - c0);
                NDArray x = drawRows(s, g, (int) (c0 + lo - first), hi - lo, sub, c0, exact, lo);
                rows.add(lo == 0 && hi == exact ? x : x.get(new NDIndex("{}:{}", lo, hi)));
            }
            NDArray x = rows.size() == 1 ? rows.get(0) : NDArrays.concat(new NDList(rows), 0);
            x = x.duplicate();
            x.attach(work);
            return x;
        }
    }

    /**
     * One run of the sampler on {@code rows} rows whose row 0 is sample {@code firstIndex} of the
     * seed's sequence, of which rows {@code lo .. lo + b - 1} are samples {@code from .. from + b - 1}
     * of the request; the others (padding, in exact mode) have the null class and are dropped by
     * the caller. The result is float32, in {@code work}.
     */
    private NDArray drawRows(Sampler s, Ddpm.Guide g, int from, int b, NDManager work, long firstIndex, int rows, int lo) {
        try (NDManager sub = work.newSubManager()) {
            Denoiser d = ddpm.denoiser();
            if (g != null) {
                int[] y = new int[rows];
                Arrays.fill(y, ddpm.conditionalDenoiser().nullClass()); // the null class: a padding row's label changes no other row
                System.arraycopy(g.labels(), from, y, lo, b);
                d = new ClassifierFreeGuidance(ddpm.conditionalDenoiser(), sub.create(y), g.guidance());
            }
            StepListener told = listener;
            if (rows != b && listener != StepListener.NONE) {
                NDIndex mine = new NDIndex("{}:{}", lo, lo + b);
                told = (i, count, t, xt, x0Hat) -> listener.onStep(i, count, t, xt.get(mine), x0Hat.get(mine));
            }
            NDArray x = s.sample(d, ddpm.spec().batchShape(rows), Noise.perSample(seed, firstIndex), sub, told);
            x = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
            x.attach(work);
            return x;
        }
    }
}
