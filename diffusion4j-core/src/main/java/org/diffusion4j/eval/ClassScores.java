package org.diffusion4j.eval;

/**
 * Scores of a set of images from a classifier's softmax p(y|x), one row per image: the
 * Inception-Score analogue exp(E_x KL(p(y|x) || p(y))) with p(y) the mean prediction (1 when
 * every image gets the same prediction, the number of classes at most: confident predictions
 * spread evenly over all classes), the fraction of images classified with confidence
 * max_y p(y|x) >= a threshold, and the histogram of predicted classes.
 */
public final class ClassScores {
    /** The confidence threshold of {@link #confidentFraction(double[][])}. */
    public static final double CONFIDENT = 0.9;

    private ClassScores() {}

    /** exp of the mean KL divergence of each prediction from the marginal prediction. */
    public static double inceptionScore(double[][] probs) {
        int n = requireRows(probs);
        int k = probs[0].length;
        double[] marginal = new double[k];
        for (double[] p : probs) {
            for (int c = 0; c < k; c++) {
                marginal[c] += p[c] / n;
            }
        }
        double kl = 0;
        for (double[] p : probs) {
            for (int c = 0; c < k; c++) {
                if (p[c] > 0) {
                    kl += p[c] * (Math.log(p[c]) - Math.log(marginal[c]));
                }
            }
        }
        return Math.exp(kl / n);
    }

    /** Fraction of rows whose largest probability is at least {@link #CONFIDENT}. */
    public static double confidentFraction(double[][] probs) {
        return confidentFraction(probs, CONFIDENT);
    }

    /** Fraction of rows whose largest probability is at least {@code threshold}. */
    public static double confidentFraction(double[][] probs, double threshold) {
        int n = requireRows(probs);
        int count = 0;
        for (double[] p : probs) {
            if (confidence(p) >= threshold) {
                count++;
            }
        }
        return count / (double) n;
    }

    /**
     * For each predicted class (argmax), the fraction of the rows predicted as it whose confidence
     * is at least {@link #CONFIDENT}; NaN for a class nothing was predicted as.
     */
    public static double[] confidentFractionByClass(double[][] probs) {
        requireRows(probs);
        int[] h = new int[probs[0].length];
        int[] confident = new int[h.length];
        for (double[] p : probs) {
            int k = argmax(p);
            h[k]++;
            if (p[k] >= CONFIDENT) {
                confident[k]++;
            }
        }
        double[] f = new double[h.length];
        for (int k = 0; k < h.length; k++) {
            f[k] = h[k] == 0 ? Double.NaN : confident[k] / (double) h[k];
        }
        return f;
    }

    /** Indices of the {@code k} rows of lowest confidence, least confident first (ties by index). */
    public static int[] leastConfident(double[][] probs, int k) {
        int n = requireRows(probs);
        Integer[] idx = new Integer[n];
        double[] conf = new double[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
            conf[i] = confidence(probs[i]);
        }
        java.util.Arrays.sort(idx, (a, b) -> conf[a] != conf[b] ? Double.compare(conf[a], conf[b]) : Integer.compare(a, b));
        int m = Math.min(Math.max(k, 0), n);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    /** The confidence of a prediction: its largest probability. */
    public static double confidence(double[] p) {
        return p[argmax(p)];
    }

    /** Index of the largest entry (ties to the lower index). */
    public static int argmax(double[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    /** Number of rows predicted as each class (argmax; ties to the lower class). */
    public static int[] histogram(double[][] probs) {
        requireRows(probs);
        int[] h = new int[probs[0].length];
        for (double[] p : probs) {
            h[argmax(p)]++;
        }
        return h;
    }

    private static int requireRows(double[][] probs) {
        if (probs.length == 0) {
            throw new IllegalArgumentException("no predictions");
        }
        return probs.length;
    }
}
