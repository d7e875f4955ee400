package org.diffusion4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * An immutable in-memory dataset: {@code n} rows of {@code rowShape} floats, stored row-major in
 * one {@code float[]}, with optional integer labels. Images have rowShape {C, H, W} and values in
 * [0, 1]; 2-D points have rowShape {2}; flat vectors {D}.
 *
 * <p>"Immutable" by contract: the arrays are shared, not copied, by {@link #data()},
 * {@link #labels()} and the constructor, so callers must not modify them.
 */
public final class DataSet {
    private final String name;
    private final float[] data;
    private final int n;
    private final long[] rowShape;
    private final int rowSize;
    private final int[] labels;
    private final int numClasses;

    /**
     * @param labels one per row, or null
     * @param numClasses number of classes (labels in 0..numClasses-1); if &lt;= 0 and labels are
     *     given, it is max(label)+1; 0 when there are no labels
     */
    public DataSet(String name, float[] data, int n, long[] rowShape, int[] labels, int numClasses) {
        long size = 1;
        for (long d : rowShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("row shape " + Arrays.toString(rowShape));
            }
            size *= d;
        }
        if (size > Integer.MAX_VALUE || (long) n * size != data.length) {
            throw new IllegalArgumentException("data length " + data.length + " != " + n + " x "
                    + Arrays.toString(rowShape));
        }
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException(labels.length + " labels for " + n + " rows");
        }
        this.name = name;
        this.data = data;
        this.n = n;
        this.rowShape = rowShape.clone();
        this.rowSize = (int) size;
        this.labels = labels;
        if (labels == null) {
            this.numClasses = 0;
        } else if (numClasses > 0) {
            this.numClasses = numClasses;
        } else {
            int max = -1;
            for (int l : labels) {
                max = Math.max(max, l);
            }
            this.numClasses = max + 1;
        }
    }

    /** A dataset without labels. */
    public DataSet(String name, float[] data, int n, long[] rowShape) {
        this(name, data, n, rowShape, null, 0);
    }

    public String name() {
        return name;
    }

    /** Number of rows. */
    public int size() {
        return n;
    }

    /** Number of rows (same as {@link #size()}). */
    public int n() {
        return n;
    }

    /** Shape of one row, e.g. {1, 28, 28}; a copy. */
    public long[] rowShape() {
        return rowShape.clone();
    }

    /** Floats per row. */
    public int rowSize() {
        return rowSize;
    }

    /** Shape of the whole set: {n, rowShape...}. */
    public long[] shape() {
        long[] s = new long[rowShape.length + 1];
        s[0] = n;
        System.arraycopy(rowShape, 0, s, 1, rowShape.length);
        return s;
    }

    /** The backing array (shared; do not modify). */
    public float[] data() {
        return data;
    }

    /** The labels (shared; do not modify), or null. */
    public int[] labels() {
        return labels;
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** Number of classes; 0 without labels. */
    public int numClasses() {
        return numClasses;
    }

    public int label(int i) {
        if (labels == null) {
            throw new IllegalStateException(name + " has no labels");
        }
        return labels[i];
    }

    /** True for rows shaped {C, H, W}. */
    public boolean isImage() {
        return rowShape.length == 3;
    }

    /** C of an image set (rowShape {C,H,W}). */
    public int channels() {
        return isImage() ? (int) rowShape[0] : 1;
    }

    public int height() {
        return isImage() ? (int) rowShape[1] : 1;
    }

    public int width() {
        return isImage() ? (int) rowShape[2] : rowSize;
    }

    /** A copy of row i. */
    public float[] row(int i) {
        return Arrays.copyOfRange(data, i * rowSize, (i + 1) * rowSize);
    }

    /** Copies row i into dst at offset off. */
    public void copyRow(int i, float[] dst, int off) {
        System.arraycopy(data, i * rowSize, dst, off, rowSize);
    }

    /** The first {@code count} rows (this set itself if count &gt;= n). */
    public DataSet subset(int count) {
        return subset(0, Math.min(count, n));
    }

    /** Rows from..from+count-1 (copied). */
    public DataSet subset(int from, int count) {
        if (from < 0 || count < 0 || from + count > n) {
            throw new IndexOutOfBoundsException("rows " + from + ".." + (from + count) + " of " + n);
        }
        if (from == 0 && count == n) {
            return this;
        }
        float[] d = Arrays.copyOfRange(data, from * rowSize, (from + count) * rowSize);
        int[] l = labels == null ? null : Arrays.copyOfRange(labels, from, from + count);
        return new DataSet(name, d, count, rowShape, l, numClasses);
    }

    /** The given rows, in that order (copied). */
    public DataSet select(int[] indices) {
        float[] d = new float[indices.length * rowSize];
        int[] l = labels == null ? null : new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            copyRow(indices[k], d, k * rowSize);
            if (l != null) {
                l[k] = labels[indices[k]];
            }
        }
        return new DataSet(name, d, indices.length, rowShape, l, numClasses);
    }

    /** The same data under another name. */
    public DataSet withName(String newName) {
        return new DataSet(newName, data, n, rowShape, labels, numClasses);
    }

    /** The whole set as one float32 NDArray of shape {n, rowShape...} (one copy to native). */
    public NDArray toNDArray(NDManager m) {
        return m.create(data, new Shape(shape()));
    }

    @Override
    public String toString() {
        return name + " [" + n + " x " + Arrays.toString(rowShape)
                + (labels != null ? ", " + numClasses + " classes" : "") + "]";
    }
}
