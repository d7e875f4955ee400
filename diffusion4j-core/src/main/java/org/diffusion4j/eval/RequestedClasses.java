package org.diffusion4j.eval;

import org.diffusion4j.InvalidArgumentException;

/**
 * How well a class-conditional generator's samples match the classes they were drawn for, under
 * a classifier: per requested class, the fraction classified as that class (accuracy) and the
 * fraction classified as that class with confidence >= {@link ClassScores#CONFIDENT}
 * (confident and correct). Samples drawn for no class (the null class, any label outside
 * 0..K-1 of the classifier's K classes) are not counted.
 *
 * @param count samples requested per class
 * @param correct of those, classified as the class requested
 * @param confident of those, classified as it with confidence >= 0.9
 */
public record RequestedClasses(int[] count, int[] correct, int[] confident) {

    /**
     * Tallies the classifier's softmax rows against the requested labels.
     *
     * @param probabilities one softmax row per sample (K classes)
     * @param requested the class each sample was drawn for (labels outside 0..K-1: none, skipped)
     * @throws InvalidArgumentException (argument {@code labels}) if the counts differ
     */
    public static RequestedClasses of(double[][] probabilities, int[] requested) {
        if (requested.length != probabilities.length) {
            throw new InvalidArgumentException("labels", requested.length + " labels", "do not match the "
                    + probabilities.length + " samples; give the labels written with these samples");
        }
        int k = probabilities.length == 0 ? 0 : probabilities[0].length;
        int[] count = new int[k];
        int[] correct = new int[k];
        int[] confident = new int[k];
        for (int i = 0; i < requested.length; i++) {
            int y = requested[i];
            if (y < 0 || y >= k) {
                continue;
            }
            double[] p = probabilities[i];
            count[y]++;
            if (ClassScores.argmax(p) == y) {
                correct[y]++;
                if (p[y] >= ClassScores.CONFIDENT) {
                    confident[y]++;
                }
            }
        }
        return new RequestedClasses(count, correct, confident);
    }

    /** The samples counted (drawn for a class 0..K-1). */
    public int total() {
        return sum(count);
    }

    /** Fraction of class-c samples classified as c (NaN if none). */
    public double accuracy(int c) {
        return correct[c] / (double) count[c];
    }

    /** Fraction of class-c samples classified as c with confidence >= 0.9 (NaN if none). */
    public double confidentCorrect(int c) {
        return confident[c] / (double) count[c];
    }

    /** Over all counted samples: the fraction classified as requested. */
    public double accuracy() {
        return sum(correct) / (double) total();
    }

    /** Over all counted samples: the fraction classified as requested with confidence >= 0.9. */
    public double confidentCorrect() {
        return sum(confident) / (double) total();
    }

    /** The lowest per-class confident-and-correct fraction over the classes requested (NaN if none). */
    public double worstConfidentCorrect() {
        double w = Double.NaN;
        for (int c = 0; c < count.length; c++) {
            if (count[c] > 0 && !(confidentCorrect(c) >= w)) {
                w = confidentCorrect(c);
            }
        }
        return w;
    }

    private static int sum(int[] a) {
        int s = 0;
        for (int v : a) {
            s += v;
        }
        return s;
    }
}
