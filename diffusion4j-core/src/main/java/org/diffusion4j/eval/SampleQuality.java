package org.diffusion4j.eval;

import java.util.Random;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.classifier.Classifier;

/**
 * The sample-quality report of a set of images under a digit classifier: FID on its penultimate
 * features against a reference set, the Inception-Score analogue, the confident fraction and the
 * class histogram; and the same for a set of real images of the same size (the floor).
 */
public final class SampleQuality {
    /** The scores of one image set, with the classifier's softmax of every image (one row each). */
    public record Scores(int count, double fid, double inceptionScore, double confidentFraction, int[] histogram,
            double[][] probabilities) {
        /** Per predicted class, the fraction of its images classified with confidence >= 0.9. */
        public double[] confidentByClass() {
            return ClassScores.confidentFractionByClass(probabilities);
        }
    }

    private final Classifier classifier;
    private final int batch;
    private final Fid.Gaussian reference;
    private final int referenceCount;

    /** Fits the reference Gaussian (the classifier's features of {@code reference}) once. */
    public SampleQuality(Classifier classifier, DataSet reference, int batch) {
        this.classifier = classifier;
        this.batch = batch;
        this.reference = Fid.fit(classifier.evaluate(reference, batch).features());
        this.referenceCount = reference.size();
    }

    public int referenceCount() {
        return referenceCount;
    }

    /** The scores of a set of images in [0, 1]. */
    public Scores score(DataSet images) {
        Classifier.Outputs o = classifier.evaluate(images, batch);
        double[][] p = o.probabilities();
        return new Scores(images.size(), Fid.distance(Fid.fit(o.features()), reference),
                ClassScores.inceptionScore(p), ClassScores.confidentFraction(p), ClassScores.histogram(p), p);
    }

    /** The Gaussian of the reference images' features, which FID compares samples with. */
    public Fid.Gaussian reference() {
        return reference;
    }

    /** The mergeable statistics of a set of images in [0, 1] (a part of a distributed evaluation). */
    public SampleMoments moments(DataSet images) {
        Classifier.Outputs o = classifier.evaluate(images, batch);
        return SampleMoments.of(o.features(), o.probabilities());
    }

    /** The scores of {@code n} images drawn without replacement from {@code real} with {@code seed}. */
    public Scores floor(DataSet real, int n, long seed) {
        return score(draw(real, n, seed));
    }

    /** n distinct rows of d in random order (all of d when n >= its size). */
    public static DataSet draw(DataSet d, int n, long seed) {
        int size = d.size();
        int k = Math.min(n, size);
        int[] idx = new int[size];
        for (int i = 0; i < size; i++) {
            idx[i] = i;
        }
        Random r = new Random(seed);
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(size - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return d.select(java.util.Arrays.copyOf(idx, k));
    }
}
