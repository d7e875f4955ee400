package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Inverted dropout: each element is kept with probability 1 - p and scaled by 1 / (1 - p), else
 * set to 0, so E[dropout(h)] = h.
 *
 * <p>Why not PyTorch's own kernel: the libtorch that DJL ships is built without MKL, so its
 * {@code bernoulli_} runs a serial per-element generator: 14% of a mnist-preset training step in
 * the op profile, 26 ms per [64, 32, 28, 28] activation against 11 ms here. Here one 64-bit seed is drawn from PyTorch's generator (so a
 * seeded step stays reproducible and resume stays exact), the mask is drawn in Java from
 * SplittableRandom streams over fixed chunks (the same mask whatever the thread count) into a
 * reused direct buffer, copied once into PyTorch-owned memory, and applied with one
 * multiplication, through which autograd passes.
 */
public final class Dropout {
    /** Elements per independent random stream; fixed so the mask does not depend on threads. */
    static final int CHUNK = 1 << 16;

    private static final ThreadLocal<ByteBuffer> BUFFER = new ThreadLocal<>();

    private Dropout() {}

    /** Applies dropout with rate p in [0, 1) to h; the mask lives in h's manager. */
    public static NDArray apply(NDArray h, float p) {
        if (p <= 0f) {
            return h;
        }
        NDManager m = h.getManager();
        long seed = m.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64).toLongArray()[0];
        int n = Math.toIntExact(h.getShape().size());
        ByteBuffer buf = buffer(n);
        fill(seed, n, p, buf.asFloatBuffer());
        // create() wraps the direct buffer without copying (torch::from_blob); the PyTorch-owned
        // copy is what autograd keeps, so the buffer is free for the next call at once and no
        // garbage is left per step.
        NDArray owned;
        try (NDArray blob = m.create(buf, h.getShape(), DataType.FLOAT32)) {
            owned = blob.getDataType() == h.getDataType() ? blob.duplicate() : blob.toType(h.getDataType(), true);
        }
        return h.mul(owned);
    }

    /** A reusable native-order direct buffer of n floats for this thread. */
    private static ByteBuffer buffer(int n) {
        ByteBuffer b = BUFFER.get();
        if (b == null || b.capacity() < 4L * n) {
            b = ByteBuffer.allocateDirect(Math.multiplyExact(4, n)).order(ByteOrder.nativeOrder());
            BUFFER.set(b);
        }
        b.clear().limit(4 * n);
        return b;
    }

    /**
     * The mask: 1 / (1 - p) where a uniform 32-bit draw u satisfies u &lt; (1 - p) 2^32, else 0
     * (so the keep probability is 1 - p to within 2^-32). Chunk c of {@link #CHUNK} elements uses
     * its own stream, seeded by the c-th draw of SplittableRandom(seed): the mask does not depend
     * on thread scheduling, and a shorter mask is a prefix of a longer one.
     */
    static float[] mask(long seed, int n, float p) {
        float[] mask = new float[n];
        fill(seed, n, p, FloatBuffer.wrap(mask));
        return mask;
    }

    /** Writes the mask of {@link #mask} into out[0, n) (absolute puts: chunks fill in parallel). */
    static void fill(long seed, int n, float p, FloatBuffer out) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + p);
        }
        float scale = (float) (1.0 / (1.0 - p));
        long threshold = (long) Math.floor((1.0 - p) * 4294967296.0);
        int chunks = (n + CHUNK - 1) / CHUNK;
        long[] seeds = new long[chunks];
        SplittableRandom root = new SplittableRandom(seed);
        for (int c = 0; c < chunks; c++) {
            seeds[c] = root.nextLong();
        }
        IntStream.range(0, chunks).parallel().forEach(c -> {
            SplittableRandom r = new SplittableRandom(seeds[c]);
            int from = c * CHUNK;
            int to = Math.min(n, from + CHUNK);
            int i = from;
            for (; i + 1 < to; i += 2) {
                long bits = r.nextLong();
                out.put(i, (bits >>> 32) < threshold ? scale : 0f);
                out.put(i + 1, (bits & 0xFFFFFFFFL) < threshold ? scale : 0f);
            }
            if (i < to) {
                out.put(i, (r.nextLong() >>> 32) < threshold ? scale : 0f);
            }
        });
    }
}
