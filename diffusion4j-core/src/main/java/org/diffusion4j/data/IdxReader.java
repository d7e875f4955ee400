package org.diffusion4j.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.diffusion4j.UserException;

/**
 * Reads IDX files (the MNIST format), gzipped or plain; gzip is detected from the content (magic
 * bytes 1f 8b), not the file name. Only unsigned-byte data is supported: magic 0x00000803 for
 * images [N, H, W] and 0x00000801 for labels [N]. The data length must match the header exactly.
 */
public final class IdxReader {
    /** Magic of an unsigned-byte 3-D IDX file (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic of an unsigned-byte 1-D IDX file (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final float[] UNIT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            UNIT[i] = i / 255f;
        }
    }

    private IdxReader() {}

    /** Raw content of an unsigned-byte IDX file. */
    public record Idx(int[] dims, byte[] data) {}

    /** Images [N, H, W] as a DataSet with rowShape {1, H, W}, values byte/255, no labels. */
    public static DataSet readImages(Path file) {
        Idx idx = read(file, IMAGES_MAGIC, "images", "train-images-idx3-ubyte.gz");
        int n = idx.dims[0];
        byte[] b = idx.data;
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            f[i] = UNIT[b[i] & 0xff];
        }
        return new DataSet(file.getFileName().toString(), f, n, new long[] {1, idx.dims[1], idx.dims[2]});
    }

    /** Labels [N] as ints 0..255. */
    public static int[] readLabels(Path file) {
        Idx idx = read(file, LABELS_MAGIC, "labels", "train-labels-idx1-ubyte.gz");
        int[] l = new int[idx.dims[0]];
        for (int i = 0; i < l.length; i++) {
            l[i] = idx.data[i] & 0xff;
        }
        return l;
    }

    /** Images with their labels; the counts must agree. numClasses = max label + 1. */
    public static DataSet readPair(Path images, Path labels) {
        DataSet img = readImages(images);
        int[] l = readLabels(labels);
        if (l.length != img.size()) {
            throw new UserException(labels + ": has " + l.length + " labels but " + images + " has "
                    + img.size() + " images; give the labels file that belongs to these images");
        }
        return new DataSet(img.name(), img.data(), img.size(), img.rowShape(), l, 0);
    }

    /** True if the file starts with the gzip magic or an IDX magic (00 00 08 0x). */
    public static boolean looksLikeIdx(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] h = in.readNBytes(4);
            if (h.length >= 2 && (h[0] & 0xff) == 0x1f && (h[1] & 0xff) == 0x8b) {
                return true;
            }
            return h.length == 4 && h[0] == 0 && h[1] == 0 && h[2] == 8 && h[3] >= 1 && h[3] <= 4;
        } catch (IOException e) {
            return false;
        }
    }

    /** Opens a file, transparently gunzipping if it starts with the gzip magic. */
    static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
        }
        return in;
    }

    /** Reads an unsigned-byte IDX file whose magic must be {@code magic}. */
    public static Idx read(Path file, int magic, String what, String example) {
        if (!Files.isRegularFile(file)) {
            throw new UserException(file + ": no such file" + (Files.isDirectory(file) ? " (it is a folder)" : "")
                    + "; give an IDX " + what + " file such as " + example);
        }
        try (DataInputStream in = new DataInputStream(open(file))) {
            int m;
            try {
                m = in.readInt();
            } catch (EOFException e) {
                throw new UserException(file + ": not an IDX file (shorter than its 4-byte magic); give an IDX "
                        + what + " file such as " + example);
            }
            if (m != magic) {
                throw new UserException(String.format("%s: not an IDX %s file (magic 0x%08X, expected 0x%08X for "
                        + "unsigned-byte %s); give an IDX %s file such as %s", file, what, m, magic, what, what,
                        example));
            }
            int nd = magic & 0xff;
            int[] dims = new int[nd];
            long[] longDims = new long[nd];
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < nd; i++) {
                try {
                    dims[i] = in.readInt();
                } catch (EOFException e) {
                    throw new UserException(file + ": truncated IDX header (ends inside the dimensions); "
                            + "re-download or re-create the file");
                }
                if (dims[i] < 0 || (i > 0 && dims[i] == 0)) {
                    throw new UserException(file + ": corrupt IDX header (dimension " + i + " is " + dims[i]
                            + "); re-download or re-create the file");
                }
                longDims[i] = dims[i];
                sb.append(i == 0 ? "" : "x").append(dims[i]);
            }
            // Checked before anything is allocated: a corrupt header must not become an OutOfMemoryError.
            long total = DeclaredSize.product(file, longDims, 1, sb.toString());
            DeclaredSize.requireAvailable(file, 4L + 4L * nd, total, "IDX dimensions " + sb);
            if (total > Integer.MAX_VALUE - 16) {
                throw new UserException(file + ": IDX dimensions " + sb + " are too large (" + total
                        + " bytes); split the file or use a smaller one");
            }
            DeclaredSize.requireHeap(file, 5 * total, "IDX dimensions " + sb + " (as bytes and floats)");
            byte[] data = readGrowing(in, total, DeclaredSize.gzipped(file));
            if (data.length < total) {
                throw new UserException(file + ": truncated IDX data (header says " + sb + " = " + total
                        + " bytes, found only " + data.length + "); re-download or re-create the file");
            }
            long extra = 0;
            byte[] skip = new byte[8192];
            int r;
            while ((r = in.read(skip)) > 0) {
                extra += r;
            }
            if (extra > 0) {
                throw new UserException(file + ": " + extra + " unexpected bytes after the IDX data (header says "
                        + sb + " = " + total + " bytes); the file is corrupt or its header is wrong");
            }
            return new Idx(dims, data);
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": no such file; give an IDX " + what + " file such as " + example);
        } catch (ZipException e) {
            throw new UserException(file + ": corrupt gzip data (" + oneLine(e) + "); re-download the file");
        } catch (EOFException e) {
            throw new UserException(file + ": truncated gzip data (" + oneLine(e) + "); re-download the file");
        } catch (IOException e) {
            throw new UserException(file + ": cannot read (" + oneLine(e) + "); check the file and its permissions");
        }
    }

    /**
     * Reads up to {@code total} bytes: into one array from a plain file (its size was checked), in
     * a doubling array from a gzip stream, so that memory follows what the stream really delivers.
     * Returns fewer bytes if the stream ends early; a truncated gzip stream counts as its end.
     */
    private static byte[] readGrowing(InputStream in, long total, boolean gzipped) throws IOException {
        byte[] b = new byte[DeclaredSize.firstCapacity(gzipped, total)];
        int off = 0;
        try {
            while (off < total) {
                if (off == b.length) {
                    b = Arrays.copyOf(b, DeclaredSize.grown(b.length, total));
                }
                int r = in.read(b, off, b.length - off);
                if (r < 0) {
                    break;
                }
                off += r;
            }
        } catch (EOFException e) {
            // gzip stream cut short: report as truncated data with the count read so far
        }
        return off == b.length ? b : Arrays.copyOf(b, off);
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        if ((m.isEmpty() || m.endsWith(":")) && e.getCause() != null && e.getCause() != e) {
            m = (m.isEmpty() ? "" : m + " ") + oneLine(e.getCause()); // "Caught exception during read:" says nothing alone
        }
        return m.replace('\n', ' ').replace('\r', ' ');
    }
}
