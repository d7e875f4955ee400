package org.diffusion4j.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusion4j.UserException;
import org.diffusion4j.io.AtomicFiles;

/**
 * NumPy {@code .npy} files (format 1.0 for writing; 1.0, 2.0 and 3.0 for reading), C order only.
 * Writes little-endian float32 ({@code '<f4'}); reads {@code f4}, {@code f8} (either byte order),
 * {@code |u1}, {@code |i1}, {@code i4} and {@code i8} into floats.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** An array read from a .npy file, converted to float. */
    public record Array(float[] data, long[] shape, String descr) {}

    /** The bytes of a format-1.0 header for a C-order '&lt;f4' array of the given shape. */
    public static byte[] header(long[] shape) {
        StringBuilder s = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            s.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
        }
        s.append("), }");
        int unpadded = MAGIC.length + 2 + 2 + s.length() + 1; // + trailing newline
        int pad = (64 - unpadded % 64) % 64;
        s.append(" ".repeat(pad)).append('\n');
        byte[] dict = s.toString().getBytes(StandardCharsets.US_ASCII);
        if (dict.length > 0xffff) {
            throw new IllegalArgumentException("npy header too long");
        }
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) dict.length).put(dict);
        return b.array();
    }

    /** Writes a float32 array of the given shape (C order) atomically. */
    public static void write(Path file, float[] data, long[] shape) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        if (count != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + count
                    + " values, got " + data.length);
        }
        AtomicFiles.write(file, out -> {
            out.write(header(shape));
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : data) {
                if (!buf.hasRemaining()) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putFloat(v);
            }
            out.write(buf.array(), 0, buf.position());
        });
    }

    /** Writes a DataSet's data with shape {n, rowShape...} (labels are not stored). */
    public static void write(Path file, DataSet d) {
        write(file, d.data(), d.shape());
    }

    /**
     * Reads a .npy file as a DataSet: rows along the first axis, rowShape = the remaining axes
     * ({1} for a 1-D array). {@code |u1} data is scaled to [0, 1] (byte/255) as for images; other
     * types keep their values.
     */
    public static DataSet read(Path file) {
        Array a = readArray(file);
        if (a.shape.length == 0) {
            throw new UserException(file + ": holds a scalar, not an array of rows; save an array with shape (N, ...)");
        }
        long[] row = a.shape.length == 1 ? new long[] {1} : Arrays.copyOfRange(a.shape, 1, a.shape.length);
        float[] data = a.data;
        if (a.descr.endsWith("u1")) {
            for (int i = 0; i < data.length; i++) {
                data[i] /= 255f;
            }
        }
        for (long d : row) {
            if (d == 0) {
                throw new UserException(file + ": shape " + Arrays.toString(a.shape) + " has an empty axis; "
                        + "save a non-empty array");
            }
        }
        // Found here, with its row, not as a diverged loss at the first step (as a CSV's are).
        int rowSize = data.length / (int) Math.max(1, a.shape[0]);
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new UserException(file + ": row " + (i / Math.max(1, rowSize)) + " (counted from 0) holds a non-finite value ("
                        + data[i] + "); remove or replace the NaN/Inf rows");
            }
        }
        return new DataSet(file.getFileName().toString(), data, (int) a.shape[0], row);
    }

    /** Reads a .npy file's values as floats, with its shape and dtype string. */
    public static Array readArray(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserException(file + ": no such file; give a NumPy .npy file");
        }
        try (InputStream raw = IdxReader.open(file); DataInputStream in = new DataInputStream(raw)) {
            byte[] magic = in.readNBytes(8);
            if (magic.length < 8 || !Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
                throw bad(file, "does not start with \\x93NUMPY");
            }
            int major = magic[6];
            int headerLen;
            if (major == 1) {
                headerLen = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
            } else if (major == 2 || major == 3) {
                headerLen = Integer.reverseBytes(in.readInt());
                if (headerLen < 0 || headerLen > 1 << 24) {
                    throw bad(file, "header length " + headerLen + " is implausible");
                }
            } else {
                throw bad(file, "format version " + major + "." + magic[7] + " is not supported");
            }
            byte[] hb = in.readNBytes(headerLen);
            if (hb.length < headerLen) {
                throw bad(file, "header is cut short");
            }
            String h = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Matcher md = DESCR.matcher(h);
            Matcher mf = FORTRAN.matcher(h);
            Matcher ms = SHAPE.matcher(h);
            if (!md.find() || !mf.find() || !ms.find()) {
                throw bad(file, "header lacks descr, fortran_order or shape: " + h.strip());
            }
            if (mf.group(1).equals("True")) {
                throw new UserException(file + ": Fortran-order arrays are not supported; save with "
                        + "np.save(path, np.ascontiguousarray(a))");
            }
            long[] shape = parseShape(file, ms.group(1));
            String descr = md.group(1);
            int item = itemSize(file, descr);
            String declared = "shape " + Arrays.toString(shape) + " of " + descr;
            // Checked before anything is allocated: a corrupt header must not become an OutOfMemoryError.
            long count = DeclaredSize.product(file, shape, 1, Arrays.toString(shape));
            long bytes = DeclaredSize.product(file, shape, item, Arrays.toString(shape));
            DeclaredSize.requireAvailable(file, 10L + (major == 1 ? 0 : 2) + headerLen, bytes, declared);
            if (count > Integer.MAX_VALUE - 16) {
                throw new UserException(file + ": " + count + " values are too many to load; use a smaller array");
            }
            DeclaredSize.requireHeap(file, 4 * count, declared);
            boolean gzipped = DeclaredSize.gzipped(file);
            ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            float[] out = new float[DeclaredSize.firstCapacity(gzipped, count)];
            byte[] buf = new byte[item * 8192];
            int done = 0;
            while (done < count) {
                int want = (int) Math.min(8192, count - done);
                int got = in.readNBytes(buf, 0, want * item);
                if (got < want * item) {
                    throw new UserException(file + ": truncated data (shape " + Arrays.toString(shape) + " of "
                            + descr + " needs " + count * item + " bytes, found " + ((long) done * item + got)
                            + "); re-create the file");
                }
                if (done + want > out.length) {
                    out = Arrays.copyOf(out, Math.max(done + want, DeclaredSize.grown(out.length, count)));
                }
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, got).order(order);
                convert(descr, bb, out, done, want);
                done += want;
            }
            if (in.read() >= 0) {
                throw new UserException(file + ": unexpected bytes after the data (shape " + Arrays.toString(shape)
                        + " of " + descr + "); the file is corrupt or not a single .npy array");
            }
            return new Array(out, shape, descr);
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": no such file; give a NumPy .npy file");
        } catch (EOFException e) {
            throw bad(file, "file ends inside the header");
        } catch (IOException e) {
            throw new UserException(file + ": cannot read (" + IdxReader.oneLine(e) + "); check the file");
        }
    }

    private static int itemSize(Path file, String descr) {
        switch (descr) {
            case "<f4": case ">f4": case "<i4": case ">i4":
                return 4;
            case "<f8": case ">f8": case "<i8": case ">i8":
                return 8;
            case "|u1": case "|i1": case "<u1": case "|b1":
                return 1;
            default:
                throw new UserException(file + ": dtype '" + descr + "' is not supported; save as float32 "
                        + "(a.astype('<f4')), float64 or uint8");
        }
    }

    private static void convert(String descr, ByteBuffer bb, float[] out, int off, int count) {
        char kind = descr.charAt(1);
        char size = descr.charAt(2);
        for (int i = 0; i < count; i++) {
            float v;
            if (kind == 'f') {
                v = size == '4' ? bb.getFloat() : (float) bb.getDouble();
            } else if (kind == 'i') {
                v = size == '1' ? bb.get() : size == '4' ? bb.getInt() : (float) bb.getLong();
            } else {
                v = bb.get() & 0xff;
            }
            out[off + i] = v;
        }
    }

    private static long[] parseShape(Path file, String s) {
        List<Long> dims = new ArrayList<>();
        for (String part : s.split(",")) {
            String p = part.strip();
            if (p.endsWith("L")) {
                p = p.substring(0, p.length() - 1);
            }
            if (p.isEmpty()) {
                continue;
            }
            try {
                long d = Long.parseLong(p);
                if (d < 0) {
                    throw new NumberFormatException();
                }
                dims.add(d);
            } catch (NumberFormatException e) {
                throw bad(file, "shape (" + s + ") is not a tuple of sizes");
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static UserException bad(Path file, String what) {
        return new UserException(file + ": not a valid .npy file (" + what + "); save it with numpy.save");
    }
}
