package org.diffusion4j.eval;

/**
 * How often a classifier names the class a conditional generator was asked for: per requested
 * class, the fraction of its samples classified as that class, and the confusion counts.
 */
public record ClassAccuracy(int[][] confusion) {

    /**
     * Tallies intended vs predicted classes.
     *
     * @param intended the class each sample was generated for, in 0..classes-1
     * @param predicted the class the classifier gave it, in 0..classes-1
     */
    public static ClassAccuracy of(int[] intended, int[] predicted, int classes) {
        if (intended.length != predicted.length) {
            throw new IllegalArgumentException(intended.length + " intended vs " + predicted.length + " predicted");
        }
        int[][] confusion = new int[classes][classes];
        for (int i = 0; i < intended.length; i++) {
            confusion[intended[i]][predicted[i]]++;
        }
        return new ClassAccuracy(confusion);
    }

    public int classes() {
        return confusion.length;
    }

    /** Samples generated for class c. */
    public int count(int c) {
        int n = 0;
        for (int v : confusion[c]) {
            n += v;
        }
        return n;
    }

    /** Fraction of class-c samples classified as c (NaN if none were generated). */
    public double accuracy(int c) {
        return confusion[c][c] / (double) count(c);
    }

    /** The class-c samples were most often taken for this other class (or c itself if never wrong). */
    public int mostConfusedWith(int c) {
        int best = c;
        for (int j = 0; j < classes(); j++) {
            if (j != c && confusion[c][j] > (best == c ? 0 : confusion[c][best])) {
                best = j;
            }
        }
        return best;
    }

    /** Fraction of all samples classified as the class they were generated for. */
    public double overall() {
        long right = 0;
        long all = 0;
        for (int c = 0; c < classes(); c++) {
            right += confusion[c][c];
            all += count(c);
        }
        return right / (double) all;
    }

    /** The lowest per-class accuracy over classes that have samples. */
    public double worst() {
        double w = Double.POSITIVE_INFINITY;
        for (int c = 0; c < classes(); c++) {
            if (count(c) > 0) {
                w = Math.min(w, accuracy(c));
            }
        }
        return w;
    }
}
