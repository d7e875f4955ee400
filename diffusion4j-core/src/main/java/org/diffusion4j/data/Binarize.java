package org.diffusion4j.data;

import java.util.SplittableRandom;

/**
 * One fixed binarisation of a data set with values in [0, 1]: each value becomes 1 with
 * probability equal to the value, drawn from {@code seed}, so that every evaluation of a
 * Bernoulli model sees the same binary test set (training uses {@link Batcher.Builder#binarize}).
 */
public final class Binarize {
    private Binarize() {}

    /** True if every value is exactly 0 or 1. */
    public static boolean isBinary(DataSet d) {
        for (float v : d.data()) {
            if (v != 0f && v != 1f) {
                return false;
            }
        }
        return true;
    }

    /** The set with each value v replaced by Bernoulli(v), drawn from seed (the set itself if already binary). */
    public static DataSet fixed(DataSet d, long seed) {
        if (isBinary(d)) {
            return d;
        }
        float[] src = d.data();
        float[] out = new float[src.length];
        SplittableRandom r = new SplittableRandom(Batcher.mix(seed, 0x7E57, 0xB1_4A_21_5EL));
        for (int i = 0; i < src.length; i++) {
            out[i] = r.nextDouble() < src[i] ? 1f : 0f;
        }
        return new DataSet(d.name() + " (binarised, seed " + seed + ")", out, d.size(), d.rowShape(), d.labels(),
                d.numClasses());
    }
}
