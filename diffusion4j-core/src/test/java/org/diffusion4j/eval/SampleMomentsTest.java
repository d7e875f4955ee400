package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.diffusion4j.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/**
 * Parts of a set of classifier outputs, merged in any grouping, give the scores computed over the
 * whole set at once by the two-pass {@link Fid#fit} and {@link ClassScores}.
 */
class SampleMomentsTest {
    private static final int N = 301;
    private static final int D = 7;
    private static final int K = 5;

    /** Features with a large common offset (where a naive sum of squares loses digits) and softmax rows, some confident. */
    private static double[][][] data(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] f = new double[N][D];
        double[][] p = new double[N][K];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < D; j++) {
                f[i][j] = 1000 + (j + 1) * r.nextGaussian() + (j > 0 ? 0.5 * f[i][j - 1] : 0);
            }
            double[] logits = new double[K];
            double sum = 0;
            for (int c = 0; c < K; c++) {
                logits[c] = (i % 3 == 0 && c == i % K ? 6 : 0) + r.nextGaussian();
                sum += Math.exp(logits[c]);
            }
            for (int c = 0; c < K; c++) {
                p[i][c] = Math.exp(logits[c]) / sum;
            }
        }
        return new double[][][] {f, p};
    }

    private static SampleMoments part(double[][] f, double[][] p, int from, int to) {
        SampleMoments m = new SampleMoments(D, K);
        for (int i = from; i < to; i++) {
            m.add(f[i], p[i]);
        }
        return m;
    }

    @Test
    void mergedPartsScoreAsTheWhole() throws Exception {
        double[][][] d = data(1);
        double[][] f = d[0];
        double[][] p = d[1];
        Fid.Gaussian whole = Fid.fit(f);
        Fid.Gaussian reference = Fid.fit(data(2)[0]);
        int[] cuts = {0, 1, 40, 41, 200, N};
        SampleMoments[] parts = new SampleMoments[cuts.length - 1];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = part(f, p, cuts[i], cuts[i + 1]);
        }
        SampleMoments left = parts[0];
        for (int i = 1; i < parts.length; i++) {
            left = left.merge(parts[i]);
        }
        SampleMoments right = parts[parts.length - 1];
        for (int i = parts.length - 2; i >= 0; i--) {
            right = parts[i].merge(right);
        }
        SampleMoments tree = parts[0].merge(parts[1]).merge(parts[2].merge(new SampleMoments(D, K)).merge(parts[3].merge(parts[4])));
        for (SampleMoments m : new SampleMoments[] {left, right, tree, roundTrip(tree), SampleMoments.of(f, p)}) {
            assertEquals(N, m.count());
            Fid.Gaussian g = m.gaussian();
            for (int j = 0; j < D; j++) {
                assertEquals(whole.mean()[j], g.mean()[j], 1e-9);
            }
            for (int k = 0; k < D * D; k++) {
                assertEquals(whole.covariance().data[k], g.covariance().data[k], 1e-9 * (1 + Math.abs(whole.covariance().data[k])));
            }
            assertEquals(Fid.distance(whole, reference), m.fid(reference), 1e-8);
            assertEquals(ClassScores.inceptionScore(p), m.inceptionScore(), 1e-12);
            assertEquals(ClassScores.confidentFraction(p), m.confidentFraction(), 0);
            assertArrayEquals(Arrays.stream(ClassScores.histogram(p)).asLongStream().toArray(), m.histogram());
            assertArrayEquals(ClassScores.confidentFractionByClass(p), m.confidentByClass(), 0);
        }
        assertFalse(ClassScores.confidentFraction(p) == 0 || ClassScores.confidentFraction(p) == 1, "a mix of confident rows");
    }

    @Test
    void badPartsAreRefusedInOneLine() {
        SampleMoments a = new SampleMoments(D, K);
        assertThrows(InvalidArgumentException.class, () -> a.merge(new SampleMoments(D + 1, K)));
        assertThrows(InvalidArgumentException.class, () -> a.add(new double[D], new double[K + 1]));
        assertThrows(InvalidArgumentException.class, a::gaussian);
        assertThrows(InvalidArgumentException.class, a::inceptionScore);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> new SampleMoments(0, K));
        assertFalse(e.getMessage().contains("\n"));
    }

    private static SampleMoments roundTrip(SampleMoments m) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(m);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (SampleMoments) in.readObject();
        }
    }
}
