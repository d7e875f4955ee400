package org.diffusion4j.eval;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Frechet distance between two Gaussians fitted to feature sets (FID when the features are a
 * classifier's penultimate activations):
 * d^2 = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}).
 * The trace of the matrix square root is computed stably as Tr((sqrt(S1) S2 sqrt(S1))^{1/2}),
 * which has the same eigenvalues as (S1 S2)^{1/2} but is symmetric, so both square roots come
 * from symmetric eigendecompositions (EJML), with round-off negative eigenvalues clamped to 0.
 */
public final class Fid {
    private Fid() {}

    /** A Gaussian fitted to a feature set: the mean and the unbiased (n-1) covariance. */
    public record Gaussian(double[] mean, DMatrixRMaj covariance, int count) {
        public int dim() {
            return mean.length;
        }
    }

    /** Fits mean and covariance to rows of features (at least two rows, all of one length). */
    public static Gaussian fit(double[][] features) {
        int n = features.length;
        if (n < 2) {
            throw new IllegalArgumentException("FID needs at least 2 feature vectors, got " + n);
        }
        int d = features[0].length;
        double[] mean = new double[d];
        for (double[] f : features) {
            if (f.length != d) {
                throw new IllegalArgumentException("feature vectors of lengths " + d + " and " + f.length);
            }
            for (int j = 0; j < d; j++) {
                mean[j] += f[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        DMatrixRMaj centred = new DMatrixRMaj(n, d);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                centred.unsafe_set(i, j, features[i][j] - mean[j]);
            }
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransA(centred, centred, cov);
        CommonOps_DDRM.scale(1.0 / (n - 1), cov);
        return new Gaussian(mean, cov, n);
    }

    /** The squared Frechet distance between two fitted Gaussians. */
    public static double distance(Gaussian a, Gaussian b) {
        if (a.dim() != b.dim()) {
            throw new IllegalArgumentException("feature dimensions " + a.dim() + " and " + b.dim());
        }
        return distance(a.mean(), a.covariance(), b.mean(), b.covariance());
    }

    /** FID between two feature sets. */
    public static double distance(double[][] a, double[][] b) {
        return distance(fit(a), fit(b));
    }

    /** |m1 - m2|^2 + Tr(S1) + Tr(S2) - 2 Tr((sqrt(S1) S2 sqrt(S1))^{1/2}). */
    public static double distance(double[] m1, DMatrixRMaj s1, double[] m2, DMatrixRMaj s2) {
        double meanTerm = 0;
        for (int j = 0; j < m1.length; j++) {
            double diff = m1[j] - m2[j];
            meanTerm += diff * diff;
        }
        double d2 = meanTerm + CommonOps_DDRM.trace(s1) + CommonOps_DDRM.trace(s2) - 2 * traceSqrtProduct(s1, s2);
        return Math.max(0, d2);
    }

    /** Tr((S1 S2)^{1/2}) for symmetric positive semi-definite S1, S2, as Tr((sqrt(S1) S2 sqrt(S1))^{1/2}). */
    public static double traceSqrtProduct(DMatrixRMaj s1, DMatrixRMaj s2) {
        DMatrixRMaj r = sqrtPsd(s1);
        DMatrixRMaj tmp = new DMatrixRMaj(r.numRows, r.numCols);
        DMatrixRMaj m = new DMatrixRMaj(r.numRows, r.numCols);
        CommonOps_DDRM.mult(r, s2, tmp);
        CommonOps_DDRM.mult(tmp, r, m);
        double sum = 0;
        for (double ev : symmetricEigenvalues(m)) {
            sum += Math.sqrt(Math.max(0, ev));
        }
        return sum;
    }

    /** The symmetric PSD square root V diag(sqrt(max(l, 0))) V^T of a symmetric matrix. */
    public static DMatrixRMaj sqrtPsd(DMatrixRMaj s) {
        int d = s.numRows;
        if (d != s.numCols) {
            throw new IllegalArgumentException("square matrix expected, got " + s.numRows + "x" + s.numCols);
        }
        DMatrixRMaj sym = symmetrised(s);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(sym)) {
            throw new IllegalStateException("the eigendecomposition of a " + d + "x" + d + " covariance failed");
        }
        DMatrixRMaj out = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double root = Math.sqrt(Math.max(0, eig.getEigenvalue(k).getReal()));
            DMatrixRMaj v = eig.getEigenVector(k);
            double norm2 = 0;
            for (int i = 0; i < d; i++) {
                norm2 += v.get(i) * v.get(i);
            }
            if (root == 0 || norm2 == 0) {
                continue;
            }
            double scale = root / norm2;
            for (int i = 0; i < d; i++) {
                double vi = v.get(i) * scale;
                for (int j = 0; j < d; j++) {
                    out.add(i, j, vi * v.get(j));
                }
            }
        }
        return out;
    }

    /** Eigenvalues of the symmetric part of a square matrix. */
    public static double[] symmetricEigenvalues(DMatrixRMaj s) {
        int d = s.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, false, true);
        if (!eig.decompose(symmetrised(s))) {
            throw new IllegalStateException("the eigendecomposition of a " + d + "x" + d + " matrix failed");
        }
        double[] ev = new double[d];
        for (int k = 0; k < d; k++) {
            ev[k] = eig.getEigenvalue(k).getReal();
        }
        return ev;
    }

    private static DMatrixRMaj symmetrised(DMatrixRMaj s) {
        DMatrixRMaj t = new DMatrixRMaj(s.numCols, s.numRows);
        CommonOps_DDRM.transpose(s, t);
        CommonOps_DDRM.add(0.5, s, 0.5, t, t);
        return t;
    }
}
