package org.diffusion4j.ddpm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.diffusion4j.Devices;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.io.ImageGrid;

/**
 * The engine-free body of a distributed sampling job: N samples of one seed split into index
 * ranges ({@link #partitions}), each range drawn wherever it runs ({@link #draw}) as rows keyed by
 * their index, and the model loaded once per JVM ({@link #shared}). Because sample i depends only
 * on (seed, i) (its noise is drawn per sample, and exact sampling, {@link Sampling#exact(boolean)},
 * calls the network with fixed chunks aligned to the index), the rows of any partitioning are
 * those of one process, by index, bit for bit, given the same PyTorch thread count ({@link
 * TorchRuntime#setThreads}) in every process. {@link #partitions} cuts at batch multiples so that
 * no chunk is drawn twice (with a batch that is a multiple of the chunk, as the default 64 is). A
 * Spark job (or any scheduler) maps its partitions over {@link #draw}.
 */
public final class IndexedSamples {
    /** Models loaded in this JVM, by file, device and file time (a rewritten file is loaded again). */
    private static final Map<String, Ddpm> SHARED = new ConcurrentHashMap<>();

    private IndexedSamples() {}

    /**
     * One sample: its index in the job, the job's seed, its class (-1: unconditional), its values in
     * display units ([0, 1] for images, model units for points) and, for images, a PNG.
     */
    public record Row(long index, long seed, int label, float[] values, byte[] png) {}

    /**
     * [from, count] of each of (at most) {@code parts} contiguous ranges covering 0..n-1, cut at
     * multiples of {@code batch} (so each range's batches are those of one process), as even as
     * that allows; fewer ranges when n has fewer batches.
     */
    public static List<long[]> partitions(long n, int parts, int batch) {
        if (n < 1) {
            throw new InvalidArgumentException("n", n, "must be >= 1 (the number of samples)");
        }
        if (parts < 1) {
            throw new InvalidArgumentException("parts", parts, "must be >= 1");
        }
        if (batch < 1) {
            throw new InvalidArgumentException("batch", batch, "must be >= 1 (samples per network call)");
        }
        long batches = (n + batch - 1) / batch;
        int p = (int) Math.min(parts, batches);
        List<long[]> out = new ArrayList<>(p);
        for (int i = 0; i < p; i++) {
            long from = Math.min(n, batches * i / p * batch);
            long to = Math.min(n, batches * (i + 1) / p * batch);
            out.add(new long[] {from, to - from});
        }
        return out;
    }

    /**
     * The class of sample {@code index} of a job of n samples with one row per class, as {@link
     * Ddpm.Guide#balanced} gives it to the whole job.
     */
    public static int balancedLabel(long index, long n, int numClasses) {
        long per = Math.max(1, n / numClasses);
        return (int) (index < per * numClasses ? index / per : index % numClasses);
    }

    /**
     * Samples {@code from .. from + count - 1} of a job of {@code n} samples with {@code seed}: the
     * sampler given (null: the model's recommended one), a class-conditional model's samples one
     * row per class over the whole job ({@link #balancedLabel}) with the model's guidance.
     */
    public static List<Row> draw(Ddpm ddpm, SamplerSettings sampler, long seed, long n, long from, int count, int batch) {
        if (from < 0 || count < 1 || from + count > n) {
            throw new InvalidArgumentException("range", from + ".." + (from + count - 1), "must lie in 0.." + (n - 1));
        }
        int[] labels = null;
        if (ddpm.isConditional()) {
            labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = balancedLabel(from + i, n, ddpm.spec().numClasses());
            }
        }
        List<Row> rows = new ArrayList<>(count);
        try (NDManager m = ddpm.manager().newSubManager()) {
            Sampling s = ddpm.sampling(count).seed(seed).firstSample(from).batch(batch).manager(m);
            if (sampler != null) {
                s.sampler(sampler);
            }
            if (labels != null) {
                s.classLabels(labels);
            }
            NDArray x = s.draw();
            long[] shape = x.getShape().getShape();
            float[] display = Pictures.toDisplay(ddpm.spec(), x);
            int size = display.length / count;
            boolean images = ddpm.spec().isImage();
            for (int i = 0; i < count; i++) {
                float[] one = new float[size];
                System.arraycopy(display, i * size, one, 0, size);
                byte[] png = images ? ImageGrid.pngBytes(ImageGrid.grid(one, new long[] {1, shape[1], shape[2], shape[3]}, 1, 0, 1))
                        : null;
                rows.add(new Row(from + i, seed, labels == null ? -1 : labels[i], one, png));
            }
        }
        return rows;
    }

    /**
     * The model in {@code file} on {@code device}, loaded once per JVM and kept for the JVM's life
     * (an executor loads it for its first partition and reuses it for the rest); several threads
     * may sample it at once.
     */
    public static Ddpm shared(Path file, Device device) {
        Devices.require(device);
        String key;
        try {
            Path f = org.diffusion4j.train.Checkpoint.fileOf(file).toAbsolutePath().normalize();
            key = f + "|" + Devices.name(device) + "|" + Files.getLastModifiedTime(f).toMillis();
        } catch (java.io.IOException e) {
            throw new org.diffusion4j.UserException(file + ": " + e.getMessage(), e);
        }
        TorchRuntime.init();
        return SHARED.computeIfAbsent(key, k -> Ddpm.load(file, device));
    }
}
