package org.diffusion4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;

/**
 * Cuts a {@link DataSet} into training batches. The batch for a global step is a pure function of
 * (seed, step): epoch = step / stepsPerEpoch, and each epoch has its own permutation derived from
 * (seed, epoch). A resumed run that continues at step s therefore sees exactly the same data (and
 * the same binarisation noise) as an uninterrupted one.
 *
 * <p>Batches are assembled in a Java {@code float[]} and copied to native memory once by
 * {@link Batch#toNDArray(NDManager)}. {@link #cursor(long, boolean)} iterates endlessly from a
 * step, optionally preparing the next batch on a background thread.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Batcher {
    /** How values are mapped before batching. */
    public enum Scaling {
        /** Values as stored ([0, 1] for images): for VAEs, or for 2-D points. */
        KEEP,
        /** x*2-1, mapping image pixels [0, 1] to [-1, 1]: for diffusion models. */
        MINUS_ONE_TO_ONE
    }

    /** One batch: {@code x} has shape {B, rowShape...}; labels are null if the set has none. */
    public record Batch(float[] x, long[] shape, int[] labels, int[] indices, long step, long epoch,
            int indexInEpoch) {
        public int size() {
            return (int) shape[0];
        }

        /** The batch as a float32 NDArray of shape {B, rowShape...} (one copy to native memory). */
        public NDArray toNDArray(NDManager m) {
            return m.create(x, new Shape(shape));
        }

        /** The labels as an int32 NDArray of shape {B}; null if there are none. */
        public NDArray labelsNDArray(NDManager m) {
            return labels == null ? null : m.create(labels);
        }
    }

    private final DataSet data;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final Scaling scaling;
    private final boolean binarize;
    private final long stepsPerEpoch;
    private final Object lock = new Object();
    private long cachedEpoch = -1;
    private int[] cachedPerm;

    private Batcher(Builder b) {
        this.data = b.data;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.scaling = b.scaling;
        this.binarize = b.binarize;
        if (batchSize <= 0) {
            throw new InvalidArgumentException("batchSize", batchSize, "must be positive");
        }
        int n = data.size();
        this.stepsPerEpoch = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        if (stepsPerEpoch == 0) {
            throw new UserException(data.name() + ": has only " + n + " rows, fewer than the batch size "
                    + batchSize + "; lower the batch size or use more data");
        }
    }

    /** A builder; defaults: batch 64, seed 0, shuffle on, drop-last on, Scaling.KEEP, no binarisation. */
    public static Builder builder(DataSet data) {
        return new Builder(data);
    }

    /** Fluent settings for a {@link Batcher}. */
    public static final class Builder {
        private final DataSet data;
        private int batchSize = 64;
        private long seed;
        private boolean shuffle = true;
        private boolean dropLast = true;
        private Scaling scaling = Scaling.KEEP;
        private boolean binarize;

        private Builder(DataSet data) {
            this.data = data;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder shuffle(boolean v) {
            shuffle = v;
            return this;
        }

        /** Drop the incomplete last batch of each epoch (all batches then have the same size). */
        public Builder dropLast(boolean v) {
            dropLast = v;
            return this;
        }

        public Builder scaling(Scaling v) {
            scaling = v;
            return this;
        }

        /** Dynamic binarisation: each value becomes 1 with probability = value, else 0 (before scaling). */
        public Builder binarize(boolean v) {
            binarize = v;
            return this;
        }

        public Batcher build() {
            return new Batcher(this);
        }
    }

    public DataSet data() {
        return data;
    }

    public int batchSize() {
        return batchSize;
    }

    public long seed() {
        return seed;
    }

    public Scaling scaling() {
        return scaling;
    }

    /** Number of batches (steps) per epoch. */
    public long stepsPerEpoch() {
        return stepsPerEpoch;
    }

    public long epochOf(long step) {
        return step / stepsPerEpoch;
    }

    public int indexInEpoch(long step) {
        return (int) (step % stepsPerEpoch);
    }

    /** The global step at which the given epoch starts. */
    public long firstStepOfEpoch(long epoch) {
        return epoch * stepsPerEpoch;
    }

    /** The row indices of the batch for global step {@code step} (pure function of seed and step). */
    public int[] indicesForStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step " + step);
        }
        long epoch = epochOf(step);
        int idx = indexInEpoch(step);
        int n = data.size();
        int from = idx * batchSize;
        int to = Math.min(n, from + batchSize);
        int[] out = new int[to - from];
        if (!shuffle) {
            for (int i = 0; i < out.length; i++) {
                out[i] = from + i;
            }
            return out;
        }
        int[] perm = perm(epoch);
        System.arraycopy(perm, from, out, 0, out.length);
        return out;
    }

    /** The permutation of 0..n-1 used in the given epoch (a fresh copy). */
    public int[] permutation(long epoch) {
        return perm(epoch).clone();
    }

    private int[] perm(long epoch) {
        int n = data.size();
        if (!shuffle) {
            int[] id = new int[n];
            for (int i = 0; i < n; i++) {
                id[i] = i;
            }
            return id;
        }
        synchronized (lock) {
            if (epoch == cachedEpoch) {
                return cachedPerm;
            }
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(mix(seed, epoch, 0x5EED_BA7C_4E5L));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        synchronized (lock) {
            cachedEpoch = epoch;
            cachedPerm = p;
        }
        return p;
    }

    /** Builds the batch for global step {@code step}. */
    public Batch batch(long step) {
        int[] idx = indicesForStep(step);
        int rs = data.rowSize();
        float[] src = data.data();
        float[] x = new float[idx.length * rs];
        for (int k = 0; k < idx.length; k++) {
            System.arraycopy(src, idx[k] * rs, x, k * rs, rs);
        }
        if (binarize) {
            SplittableRandom r = new SplittableRandom(mix(seed, step, 0xB1_4A_21_5EL));
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble() < x[i] ? 1f : 0f;
            }
        }
        if (scaling == Scaling.MINUS_ONE_TO_ONE) {
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 2f - 1f;
            }
        }
        int[] labels = null;
        if (data.hasLabels()) {
            labels = new int[idx.length];
            int[] all = data.labels();
            for (int k = 0; k < idx.length; k++) {
                labels[k] = all[idx[k]];
            }
        }
        long[] rowShape = data.rowShape();
        long[] shape = new long[rowShape.length + 1];
        shape[0] = idx.length;
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        return new Batch(x, shape, labels, idx, step, epochOf(step), indexInEpoch(step));
    }

    /** Maps values produced with {@code scaling} back to the stored range ([0, 1] for images), in place. */
    public static float[] unscale(float[] x, Scaling scaling) {
        if (scaling == Scaling.MINUS_ONE_TO_ONE) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (x[i] + 1f) * 0.5f;
            }
        }
        return x;
    }

    /**
     * An endless iterator of batches starting at {@code startStep}. With {@code prefetch}, the next
     * batch is built on a daemon thread while the caller trains on the current one. Close it to
     * stop the thread.
     */
    public Cursor cursor(long startStep, boolean prefetch) {
        return new Cursor(startStep, prefetch);
    }

    /** See {@link #cursor(long, boolean)}. */
    public final class Cursor implements Iterator<Batch>, AutoCloseable {
        private long next;
        private final ExecutorService exec;
        private Future<Batch> pending;

        private Cursor(long start, boolean prefetch) {
            this.next = start;
            this.exec = prefetch ? Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "batch-prefetch");
                t.setDaemon(true);
                return t;
            }) : null;
            if (exec != null) {
                final long s = next;
                pending = exec.submit(() -> batch(s));
            }
        }

        /** The step of the batch that {@link #next()} returns. */
        public long nextStep() {
            return next;
        }

        @Override
        public boolean hasNext() {
            return true;
        }

        @Override
        public Batch next() {
            Batch b;
            if (exec == null) {
                b = batch(next);
            } else {
                try {
                    b = pending.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a batch", e);
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(c);
                }
                final long s = next + 1;
                pending = exec.submit(() -> batch(s));
            }
            next++;
            return b;
        }

        @Override
        public void close() {
            if (exec != null) {
                exec.shutdownNow();
            }
        }
    }

    /** SplitMix64-style mixing of (seed, value, salt) into a well-spread 64-bit seed. */
    static long mix(long seed, long value, long salt) {
        long z = seed * 0x9E3779B97F4A7C15L + value * 0xC2B2AE3D27D4EB4FL + salt;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
