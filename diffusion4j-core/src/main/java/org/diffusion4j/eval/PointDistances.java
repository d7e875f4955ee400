package org.diffusion4j.eval;

/**
 * Distances between two point sets X = {x_1..x_n} and Y = {y_1..y_m} in R^D (rows stored
 * row-major, interleaved: x_i is {@code xs[i*D .. i*D+D-1]}), in plain Java doubles, O(n m D).
 * Both are V-statistics (the i = j terms, which are 0, are kept and every mean divides by n^2,
 * m^2 or n m): they are never negative and are 0 for identical sets, and for two independent
 * samples of one distribution they are about c / n rather than 0, so compare a model's distance
 * with the data-vs-data floor at the same n.
 */
public final class PointDistances {
    private PointDistances() {}

    /**
     * Energy distance (Szekely and Rizzo), V-statistic, Euclidean norm:
     * E(X, Y) = 2/(n m) sum_ij |x_i - y_j| - 1/n^2 sum_ij |x_i - x_j| - 1/m^2 sum_ij |y_i - y_j|.
     * For one point each, E = 2 |x - y|.
     */
    public static double energy(float[] xs, float[] ys, int dim) {
        return 2 * meanDistance(xs, ys, dim) - meanDistance(xs, xs, dim) - meanDistance(ys, ys, dim);
    }

    /**
     * Squared maximum mean discrepancy, V-statistic, with the Gaussian RBF kernel of fixed
     * bandwidth sigma, k(a, b) = exp(-|a - b|^2 / (2 sigma^2)):
     * MMD^2 = 1/n^2 sum_ij k(x_i, x_j) + 1/m^2 sum_ij k(y_i, y_j) - 2/(n m) sum_ij k(x_i, y_j).
     */
    public static double mmd2(float[] xs, float[] ys, int dim, double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("RBF bandwidth must be > 0, got " + sigma);
        }
        return meanKernel(xs, xs, dim, sigma) + meanKernel(ys, ys, dim, sigma) - 2 * meanKernel(xs, ys, dim, sigma);
    }

    /** 1/(n m) sum_ij |a_i - b_j|. */
    static double meanDistance(float[] a, float[] b, int dim) {
        int n = rows(a, dim);
        int m = rows(b, dim);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double row = 0;
            for (int j = 0; j < m; j++) {
                row += Math.sqrt(squaredDistance(a, i, b, j, dim));
            }
            sum += row;
        }
        return sum / ((double) n * m);
    }

    /** 1/(n m) sum_ij exp(-|a_i - b_j|^2 / (2 sigma^2)). */
    static double meanKernel(float[] a, float[] b, int dim, double sigma) {
        int n = rows(a, dim);
        int m = rows(b, dim);
        double g = 1 / (2 * sigma * sigma);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double row = 0;
            for (int j = 0; j < m; j++) {
                row += Math.exp(-g * squaredDistance(a, i, b, j, dim));
            }
            sum += row;
        }
        return sum / ((double) n * m);
    }

    private static double squaredDistance(float[] a, int i, float[] b, int j, int dim) {
        double s = 0;
        for (int k = 0; k < dim; k++) {
            double d = (double) a[i * dim + k] - b[j * dim + k];
            s += d * d;
        }
        return s;
    }

    private static int rows(float[] x, int dim) {
        if (dim < 1 || x.length == 0 || x.length % dim != 0) {
            throw new IllegalArgumentException("need a non-empty set of " + dim + "-D points, got " + x.length + " values");
        }
        return x.length / dim;
    }
}
