package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** The Frechet distance, its matrix square root, and the softmax scores. */
class FidTest {
    private static double[][] gaussian(int n, double[] mean, double[] sd, Random r) {
        double[][] x = new double[n][mean.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < mean.length; j++) {
                x[i][j] = mean[j] + sd[j] * r.nextGaussian();
            }
        }
        return x;
    }

    @Test
    void identicalSetsHaveDistanceZero() {
        double[][] x = gaussian(500, new double[] {1, -2, 0.5, 3, 0}, new double[] {1, 2, 0.1, 1, 0.5}, new Random(1));
        assertEquals(0, Fid.distance(x, x), 1e-9);
    }

    @Test
    void closedFormForGaussiansWithKnownCovariances() {
        // Exact Gaussians: diagonal covariances give sum (m1-m2)^2 + sum (s1-s2)^2.
        double[] m1 = {0, 1, 2}, m2 = {1, 1, -1};
        double[] s1 = {1, 2, 0.5}, s2 = {2, 1, 0.5};
        DMatrixRMaj c1 = CommonOps_DDRM.diag(1, 4, 0.25), c2 = CommonOps_DDRM.diag(4, 1, 0.25);
        double expected = 0;
        for (int j = 0; j < 3; j++) {
            expected += (m1[j] - m2[j]) * (m1[j] - m2[j]) + (s1[j] - s2[j]) * (s1[j] - s2[j]);
        }
        assertEquals(expected, Fid.distance(m1, c1, m2, c2), 1e-9);

        // Non-commuting covariances: S1 = I, S2 = R diag(4, 9) R^T gives Tr(S1 S2)^{1/2} = 2 + 3.
        double a = 0.7;
        DMatrixRMaj rot = new DMatrixRMaj(new double[][] {{Math.cos(a), -Math.sin(a)}, {Math.sin(a), Math.cos(a)}});
        DMatrixRMaj tmp = new DMatrixRMaj(2, 2), s2r = new DMatrixRMaj(2, 2);
        CommonOps_DDRM.mult(rot, CommonOps_DDRM.diag(4, 9), tmp);
        CommonOps_DDRM.multTransB(tmp, rot, s2r);
        assertEquals(5, Fid.traceSqrtProduct(CommonOps_DDRM.identity(2), s2r), 1e-9);
        assertEquals(2 + 13 - 2 * 5, Fid.distance(new double[2], CommonOps_DDRM.identity(2), new double[2], s2r), 1e-9);
    }

    @Test
    void sampledGaussiansApproachTheClosedForm() {
        Random r = new Random(7);
        double[] m1 = {0, 1, 0, 0}, m2 = {0.5, 1, 0, -1};
        double[] s1 = {1, 1, 2, 0.5}, s2 = {1.5, 1, 1, 0.5};
        double expected = 0.25 + 1 + 0.25 + 1;
        double fid = Fid.distance(gaussian(20000, m1, s1, r), gaussian(20000, m2, s2, r));
        assertEquals(expected, fid, 0.05 * expected + 0.01);
    }

    @Test
    void squareRootOfAKnownSpdMatrix() {
        // [[5, 4], [4, 5]] = sqrt^2 with sqrt = [[2, 1], [1, 2]].
        DMatrixRMaj s = new DMatrixRMaj(new double[][] {{5, 4}, {4, 5}});
        assertArrayEquals(new double[] {2, 1, 1, 2}, Fid.sqrtPsd(s).getData(), 1e-12);
        // A random SPD matrix: the root squared gives it back and is symmetric.
        Random r = new Random(3);
        DMatrixRMaj b = new DMatrixRMaj(6, 6);
        for (int i = 0; i < 36; i++) {
            b.getData()[i] = r.nextGaussian();
        }
        DMatrixRMaj spd = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.multTransB(b, b, spd);
        DMatrixRMaj root = Fid.sqrtPsd(spd);
        DMatrixRMaj sq = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.mult(root, root, sq);
        assertArrayEquals(spd.getData(), sq.getData(), 1e-9);
        DMatrixRMaj t = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.transpose(root, t);
        assertArrayEquals(root.getData(), t.getData(), 1e-12);
    }

    @Test
    void singularCovariancesStayFinite() {
        double[][] x = new double[50][4];
        Random r = new Random(2);
        for (double[] row : x) {
            row[0] = r.nextGaussian(); // the other three features are always 0
        }
        double fid = Fid.distance(x, gaussian(50, new double[4], new double[] {1, 1, 1, 1}, r));
        assertTrue(Double.isFinite(fid) && fid > 1, "fid " + fid);
    }

    @Test
    void inceptionScoreAndConfidence() {
        int k = 10;
        double[][] uniform = new double[100][k];
        for (double[] p : uniform) {
            java.util.Arrays.fill(p, 1.0 / k);
        }
        // Uncertain predictions: KL to the marginal is 0, IS = 1; none is confident.
        assertEquals(1, ClassScores.inceptionScore(uniform), 1e-12);
        assertEquals(0, ClassScores.confidentFraction(uniform), 0);
        // One-hot predictions of one class: IS = 1.
        double[][] same = new double[100][k];
        for (double[] p : same) {
            p[3] = 1;
        }
        assertEquals(1, ClassScores.inceptionScore(same), 1e-12);
        assertEquals(1, ClassScores.confidentFraction(same), 0);
        // One-hot predictions spread evenly over the k classes: IS = k (the maximum).
        double[][] spread = new double[100][k];
        for (int i = 0; i < 100; i++) {
            spread[i][i % k] = 1;
        }
        assertEquals(k, ClassScores.inceptionScore(spread), 1e-9);
        int[] h = ClassScores.histogram(spread);
        assertArrayEquals(new int[] {10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, h);
        // Confidence threshold at 0.9 inclusive.
        double[][] mixed = {{0.9, 0.1}, {0.89, 0.11}, {0.05, 0.95}, {0.5, 0.5}};
        assertEquals(0.5, ClassScores.confidentFraction(mixed), 0);
        assertArrayEquals(new int[] {3, 1}, ClassScores.histogram(mixed));
    }

    @Test
    void confidenceByClassAndLeastConfident() {
        // Class 0 gets rows 0, 1, 3 (argmax; the tie in row 3 goes to class 0), class 1 rows 2 and 4.
        double[][] p = {{0.9, 0.1}, {0.6, 0.4}, {0.05, 0.95}, {0.5, 0.5}, {0.3, 0.7}};
        double[] byClass = ClassScores.confidentFractionByClass(p);
        assertEquals(1.0 / 3, byClass[0], 1e-12);
        assertEquals(0.5, byClass[1], 1e-12);
        // Least confident first: 0.5 (row 3), 0.6 (row 1), 0.7 (row 4), 0.9 (row 0), 0.95 (row 2).
        assertArrayEquals(new int[] {3, 1, 4}, ClassScores.leastConfident(p, 3));
        assertArrayEquals(new int[] {3, 1, 4, 0, 2}, ClassScores.leastConfident(p, 99));
        // A class nothing is predicted as has no fraction.
        assertTrue(Double.isNaN(ClassScores.confidentFractionByClass(new double[][] {{0.2, 0.8, 0}})[0]));
    }
}
