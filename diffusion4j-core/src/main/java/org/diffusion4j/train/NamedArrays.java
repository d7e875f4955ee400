package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.diffusion4j.UserException;

/**
 * An ordered list of named float arrays (model weights, EMA weights, optimizer moments) and its
 * binary form: count, then per array its name, shape, byte count and little-endian data, float32
 * or (for shipped weights, half the size) IEEE float16; the byte count tells which, and float16 is
 * widened to float32 on reading. The order is the block's parameter order, so a checkpoint of
 * another model is detected by name and shape.
 */
public final class NamedArrays {
    private final List<String> names;
    private final List<NDArray> arrays;

    public NamedArrays(List<String> names, List<NDArray> arrays) {
        this.names = List.copyOf(names);
        this.arrays = Collections.unmodifiableList(new ArrayList<>(arrays));
    }

    /** The block's trainable parameters, in the block's order, sharing their storage. */
    public static NamedArrays parametersOf(Block block) {
        List<String> n = new ArrayList<>();
        List<NDArray> a = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getValue().requiresGradient()) {
                n.add(p.getKey());
                a.add(p.getValue().getArray());
            }
        }
        return new NamedArrays(n, a);
    }

    /** Fresh arrays in {@code m}, zeros or copies of these. */
    public NamedArrays newLike(NDManager m, boolean copyValues) {
        List<NDArray> a = new ArrayList<>();
        for (NDArray x : arrays) {
            NDArray y = copyValues ? x.duplicate() : m.zeros(x.getShape());
            if (copyValues) {
                y.attach(m);
                y.setRequiresGradient(false);
            }
            a.add(y);
        }
        return new NamedArrays(names, a);
    }

    public int size() {
        return arrays.size();
    }

    public String name(int i) {
        return names.get(i);
    }

    public NDArray get(int i) {
        return arrays.get(i);
    }

    public List<NDArray> arrays() {
        return arrays;
    }

    /** Total number of elements. */
    public long elementCount() {
        long n = 0;
        for (NDArray a : arrays) {
            n += a.size();
        }
        return n;
    }

    /** Copies the values of {@code source} (same names and shapes) into these arrays. */
    public void copyFrom(NamedArrays source) {
        checkCompatible(source, "arrays");
        for (int i = 0; i < arrays.size(); i++) {
            source.get(i).copyTo(arrays.get(i));
        }
    }

    /** Throws a UserException naming the first mismatch. */
    public void checkCompatible(NamedArrays other, String what) {
        if (other.size() != size()) {
            throw new UserException(what + ": " + other.size() + " parameter arrays, but the model has "
                    + size() + ": the checkpoint was made by another model; give the model preset or run folder it was made with");
        }
        for (int i = 0; i < size(); i++) {
            if (!names.get(i).equals(other.name(i))
                    || !arrays.get(i).getShape().equals(other.get(i).getShape())) {
                throw new UserException(what + ": parameter " + other.name(i) + other.get(i).getShape()
                        + " does not match the model's " + names.get(i) + arrays.get(i).getShape()
                        + ": the checkpoint was made by another model");
            }
        }
    }

    /** The index of the first array holding NaN or infinity, or -1. */
    public int firstNonFinite() {
        for (int i = 0; i < arrays.size(); i++) {
            NDArray a = arrays.get(i);
            try (NDArray nan = a.isNaN(); NDArray inf = a.isInfinite(); NDArray bad = nan.logicalOr(inf);
                    NDArray any = bad.any()) {
                if (any.getBoolean()) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Writes the arrays as float32. */
    public void write(DataOutputStream out) throws IOException {
        write(out, DataType.FLOAT32);
    }

    /** Writes the arrays stored as {@code storage}: FLOAT32, or FLOAT16 (rounded to nearest). */
    public void write(DataOutputStream out, DataType storage) throws IOException {
        if (storage != DataType.FLOAT32 && storage != DataType.FLOAT16) {
            throw new IllegalArgumentException("storage must be float32 or float16, not " + storage);
        }
        out.writeInt(arrays.size());
        for (int i = 0; i < arrays.size(); i++) {
            NDArray a = arrays.get(i);
            out.writeUTF(names.get(i));
            long[] dims = a.getShape().getShape();
            out.writeInt(dims.length);
            for (long d : dims) {
                out.writeLong(d);
            }
            NDArray stored = a.toType(storage, false);
            try {
                ByteBuffer bb = stored.toByteBuffer();
                byte[] bytes = new byte[bb.remaining()];
                bb.order(ByteOrder.LITTLE_ENDIAN).get(bytes);
                out.writeInt(bytes.length);
                out.write(bytes);
            } finally {
                if (stored != a) {
                    stored.close();
                }
            }
        }
    }

    /** Reads arrays written by {@link #write} into {@code m}. */
    public static NamedArrays read(DataInputStream in, NDManager m) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > 1_000_000) {
            throw new IOException("corrupt array count " + count);
        }
        List<String> n = new ArrayList<>(count);
        List<NDArray> a = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            n.add(in.readUTF());
            int rank = in.readInt();
            if (rank < 0 || rank > 8) {
                throw new IOException("corrupt rank " + rank);
            }
            long[] dims = new long[rank];
            for (int k = 0; k < rank; k++) {
                dims[k] = in.readLong();
            }
            int len = in.readInt();
            Shape shape = new Shape(dims);
            boolean half = len == shape.size() * 2 && shape.size() > 0;
            if (len != shape.size() * 4 && !half) {
                throw new IOException("corrupt data length for " + n.get(i));
            }
            byte[] bytes = new byte[len];
            in.readFully(bytes);
            ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            a.add(half ? widen(bb, shape, m) : m.create(bb.asFloatBuffer(), shape));
        }
        return new NamedArrays(n, a);
    }

    /** float16 data (little-endian) as a float32 array in {@code m}. */
    private static NDArray widen(ByteBuffer bb, Shape shape, NDManager m) {
        ByteBuffer direct = ByteBuffer.allocateDirect(bb.remaining()).order(ByteOrder.nativeOrder());
        while (bb.hasRemaining()) {
            direct.putShort(bb.getShort());
        }
        direct.flip();
        try (NDArray h = m.create(direct, shape, DataType.FLOAT16)) {
            return h.toType(DataType.FLOAT32, true);
        }
    }
}
