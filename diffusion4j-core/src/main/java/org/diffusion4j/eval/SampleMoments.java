package org.diffusion4j.eval;

import java.io.Serializable;
import java.util.Arrays;
import org.diffusion4j.InvalidArgumentException;
import org.ejml.data.DMatrixRMaj;

/**
 * What the sample-quality scores of a set of images need of the classifier's outputs, in a form
 * that merges: the count, the mean and the comoment matrix sum (x - mean)(x - mean)^T of the
 * features (merged by Chan, Golub and LeVeque's pairwise update), and of the class probabilities
 * their column sums, the sum of p log p, the histogram of predicted classes and the number of
 * confident predictions. Parts computed anywhere (threads, processes, a cluster's executors) and
 * merged in any grouping give the FID, Inception-Score analogue, confident fraction and histogram
 * of the whole set ({@link SampleQuality#score}) to float rounding. Serializable, so that a
 * distributed job can ship the parts to where they are merged.
 *
 * <p>Not thread-safe: one part per thread, merged afterwards.
 */
public final class SampleMoments implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int dim;
    private final int classes;
    private long count;
    private final double[] mean;
    /** Row-major dim x dim: sum over rows of (x - mean)(x - mean)^T. */
    private final double[] comoment;
    private final double[] probabilitySums;
    private double sumPLogP;
    private long confident;
    private final long[] histogram;
    /** Per predicted class, the images predicted as it with confidence >= {@link ClassScores#CONFIDENT}. */
    private final long[] confidentHistogram;

    /** An empty part for features of length {@code dim} and probabilities over {@code classes} classes. */
    public SampleMoments(int dim, int classes) {
        if (dim < 1 || classes < 1) {
            throw new InvalidArgumentException(dim < 1 ? "dim" : "classes", dim < 1 ? dim : classes, "must be >= 1");
        }
        this.dim = dim;
        this.classes = classes;
        this.mean = new double[dim];
        this.comoment = new double[dim * dim];
        this.probabilitySums = new double[classes];
        this.histogram = new long[classes];
        this.confidentHistogram = new long[classes];
    }

    /** The part of the given rows: features[i] and probabilities[i] of image i. */
    public static SampleMoments of(double[][] features, double[][] probabilities) {
        if (features.length == 0 || features.length != probabilities.length) {
            throw new InvalidArgumentException("features", features.length + " rows", "must be as many as the probabilities' ("
                    + probabilities.length + ") and at least one");
        }
        SampleMoments m = new SampleMoments(features[0].length, probabilities[0].length);
        for (int i = 0; i < features.length; i++) {
            m.add(features[i], probabilities[i]);
        }
        return m;
    }

    /** Adds one image: its features and its class probabilities (Welford's update of the mean and comoment). */
    public SampleMoments add(double[] features, double[] probabilities) {
        if (features.length != dim || probabilities.length != classes) {
            throw new InvalidArgumentException("features", features.length + " features and " + probabilities.length
                    + " classes", "do not fit a part of " + dim + " features and " + classes + " classes");
        }
        count++;
        double[] delta = new double[dim];
        for (int j = 0; j < dim; j++) {
            delta[j] = features[j] - mean[j];
            mean[j] += delta[j] / count;
        }
        for (int a = 0; a < dim; a++) {
            double after = features[a] - mean[a];
            for (int b = 0; b < dim; b++) {
                comoment[a * dim + b] += after * delta[b];
            }
        }
        for (int c = 0; c < classes; c++) {
            double p = probabilities[c];
            probabilitySums[c] += p;
            if (p > 0) {
                sumPLogP += p * Math.log(p);
            }
        }
        int k = ClassScores.argmax(probabilities);
        histogram[k]++;
        if (ClassScores.confidence(probabilities) >= ClassScores.CONFIDENT) {
            confident++;
            confidentHistogram[k]++;
        }
        return this;
    }

    /** A new part holding this one's rows and {@code other}'s; neither is changed. */
    public SampleMoments merge(SampleMoments other) {
        if (other.dim != dim || other.classes != classes) {
            throw new InvalidArgumentException("other", other.dim + " features and " + other.classes + " classes",
                    "cannot merge with a part of " + dim + " features and " + classes + " classes");
        }
        SampleMoments m = new SampleMoments(dim, classes);
        long n = count + other.count;
        m.count = n;
        if (n > 0) {
            double wa = count / (double) n;
            double wb = other.count / (double) n;
            double[] delta = new double[dim];
            for (int j = 0; j < dim; j++) {
                delta[j] = other.mean[j] - mean[j];
                m.mean[j] = wa * mean[j] + wb * other.mean[j];
            }
            double cross = count * (double) other.count / n;
            for (int a = 0; a < dim; a++) {
                for (int b = 0; b < dim; b++) {
                    int k = a * dim + b;
                    m.comoment[k] = comoment[k] + other.comoment[k] + delta[a] * delta[b] * cross;
                }
            }
        }
        for (int c = 0; c < classes; c++) {
            m.probabilitySums[c] = probabilitySums[c] + other.probabilitySums[c];
            m.histogram[c] = histogram[c] + other.histogram[c];
            m.confidentHistogram[c] = confidentHistogram[c] + other.confidentHistogram[c];
        }
        m.sumPLogP = sumPLogP + other.sumPLogP;
        m.confident = confident + other.confident;
        return m;
    }

    public long count() {
        return count;
    }

    /** The Gaussian FID compares: the features' mean and unbiased covariance (at least two rows). */
    public Fid.Gaussian gaussian() {
        if (count < 2) {
            throw new InvalidArgumentException("count", count, "must be >= 2 for a covariance (FID needs at least 2 images)");
        }
        DMatrixRMaj cov = new DMatrixRMaj(dim, dim);
        for (int k = 0; k < comoment.length; k++) {
            cov.data[k] = comoment[k] / (count - 1);
        }
        return new Fid.Gaussian(mean.clone(), cov, Math.toIntExact(count));
    }

    /** FID against a reference Gaussian (e.g. {@link SampleQuality#reference()}). */
    public double fid(Fid.Gaussian reference) {
        return Fid.distance(gaussian(), reference);
    }

    /** exp(mean KL(p(y|x) || p(y))), as {@link ClassScores#inceptionScore}. */
    public double inceptionScore() {
        requireRows();
        double kl = sumPLogP;
        for (double s : probabilitySums) {
            if (s > 0) {
                kl -= s * Math.log(s / count);
            }
        }
        return Math.exp(kl / count);
    }

    /** The fraction of images classified with confidence >= {@link ClassScores#CONFIDENT}. */
    public double confidentFraction() {
        requireRows();
        return confident / (double) count;
    }

    /** Images predicted as each class. */
    public long[] histogram() {
        return histogram.clone();
    }

    /**
     * Per predicted class, the fraction of its images classified with confidence >= {@link
     * ClassScores#CONFIDENT} (NaN for a class no image was predicted as), as {@link
     * ClassScores#confidentFractionByClass}.
     */
    public double[] confidentByClass() {
        double[] f = new double[classes];
        for (int c = 0; c < classes; c++) {
            f[c] = histogram[c] == 0 ? Double.NaN : confidentHistogram[c] / (double) histogram[c];
        }
        return f;
    }

    private void requireRows() {
        if (count == 0) {
            throw new InvalidArgumentException("count", 0, "must be >= 1: no images were added");
        }
    }

    @Override
    public String toString() {
        return "SampleMoments[" + count + " images, " + dim + " features, histogram " + Arrays.toString(histogram) + "]";
    }
}
