package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Noise that depends only on (seed, sample index, draw): row r of a draw is sample
 * {@code first + r}, whose values come from a SplitMix64 stream keyed by the three numbers and
 * are turned into normals by the Box-Muller transform in {@link StrictMath} (the same bits on
 * every machine and JVM). Immutable and thread-safe.
 */
final class SampleNoise implements Noise {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final long seed;
    private final long first;

    SampleNoise(long seed, long first) {
        if (first < 0) {
            throw new IllegalArgumentException("the first sample index must be >= 0, got " + first);
        }
        this.seed = seed;
        this.first = first;
    }

    @Override
    public NDArray normal(int draw, Shape shape, NDManager m) {
        int rows = (int) shape.get(0);
        long size = shape.size() / Math.max(1, rows);
        if (rows > 0 && size * rows > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("noise of shape " + shape + " does not fit one Java array");
        }
        float[] v = new float[(int) (size * rows)];
        for (int r = 0; r < rows; r++) {
            fill(v, (int) (r * size), (int) size, stream(first + r, draw));
        }
        return m.create(v, shape);
    }

    /** The starting state of the stream of (seed, sample, draw). */
    long stream(long sample, int draw) {
        long h = mix(seed + GOLDEN);
        h = mix(h ^ (sample + 1) * GOLDEN);
        return mix(h ^ (draw + 1L) * 0xBF58476D1CE4E5B9L);
    }

    /** n standard normals from the SplitMix64 stream that starts at {@code state}. */
    static void fill(float[] out, int off, int n, long state) {
        for (int i = 0; i < n; i += 2) {
            state += GOLDEN;
            double u1 = ((mix(state) >>> 11) + 1) * 0x1.0p-53; // (0, 1]: log is finite
            state += GOLDEN;
            double u2 = (mix(state) >>> 11) * 0x1.0p-53;       // [0, 1)
            double radius = StrictMath.sqrt(-2 * StrictMath.log(u1));
            double angle = 2 * Math.PI * u2;
            out[off + i] = (float) (radius * StrictMath.cos(angle));
            if (i + 1 < n) {
                out[off + i + 1] = (float) (radius * StrictMath.sin(angle));
            }
        }
    }

    /** SplitMix64's finaliser (Steele, Lea &amp; Flood 2014). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
