package org.diffusion4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.diffusion4j.UserException;

/**
 * Checks the data size a file's header declares (.npy, IDX) against what the file can deliver,
 * before anything is allocated, so that a corrupt or hostile header ends in one line instead of
 * an OutOfMemoryError. A plain file must hold at least the declared bytes after its header. A
 * gzipped file cannot inflate to more than {@link #MAX_DEFLATE_RATIO} times its size (RFC 1951:
 * a 258-byte match costs at least 2 bits, hence zlib's documented limit of 1032:1); within that
 * bound the readers grow their arrays as the stream delivers, so the memory held never exceeds
 * twice what the file really contains.
 */
final class DeclaredSize {
    /** The most a deflate stream can expand: 1032 output bytes per input byte (zlib's technical notes). */
    static final long MAX_DEFLATE_RATIO = 1032;

    /** The first chunk a gzipped array is read into; it doubles as data arrive. */
    static final int FIRST_CHUNK = 1 << 20;

    private DeclaredSize() {}

    /** The product of the dimensions (and the item size), or one line saying it overflows. */
    static long product(Path file, long[] dims, long itemSize, String shapeText) {
        try {
            long p = itemSize;
            for (long d : dims) {
                p = Math.multiplyExact(p, d);
            }
            return p;
        } catch (ArithmeticException e) {
            throw new UserException(file + ": header declares shape " + shapeText + ", whose size overflows 64 bits; "
                    + "the header is corrupt: re-create the file");
        }
    }

    /** True if the file starts with the gzip magic 1f 8b. */
    static boolean gzipped(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    /**
     * Throws unless {@code dataBytes} can follow a header of {@code headerBytes} in the file: in a
     * plain file they must be there; a gzipped one must be able to inflate to them.
     */
    static void requireAvailable(Path file, long headerBytes, long dataBytes, String shapeText) throws IOException {
        long size = Files.size(file);
        if (gzipped(file)) {
            long most = size > Long.MAX_VALUE / MAX_DEFLATE_RATIO ? Long.MAX_VALUE : size * MAX_DEFLATE_RATIO;
            if (dataBytes > most - headerBytes) {
                throw new UserException(String.format(Locale.ROOT, "%s: header declares %s = %,d bytes of data, but a gzip "
                        + "file of %,d bytes can hold at most %,d; the header is corrupt or the file truncated: re-create it",
                        file, shapeText, dataBytes, size, most));
            }
        } else if (dataBytes > size - headerBytes) {
            throw new UserException(String.format(Locale.ROOT, "%s: truncated data: header declares %s = %,d bytes of data, "
                    + "the file holds %,d after its header; the file is cut short or its header corrupt: re-create it",
                    file, shapeText, dataBytes, Math.max(0, size - headerBytes)));
        }
    }

    /**
     * Throws if an array of {@code bytes} cannot fit in the JVM's heap at all, naming the fix
     * (a larger -Xmx, or a smaller file).
     */
    static void requireHeap(Path file, long bytes, String shapeText) {
        long max = java.lang.Runtime.getRuntime().maxMemory();
        if (bytes > max) {
            throw new UserException(String.format(Locale.ROOT, "%s: %s needs %.1f GB in memory, more than the %.1f GB "
                    + "this JVM may use; give a smaller file or more memory (DIFFUSION4J_JAVA_OPTS=-Xmx...)",
                    file, shapeText, bytes / 1e9, max / 1e9));
        }
    }

    /** The first capacity for reading {@code total} items: all of them from a plain file, else a chunk. */
    static int firstCapacity(boolean gzipped, long total) {
        return (int) (gzipped ? Math.min(total, FIRST_CHUNK) : total);
    }

    /** The next capacity once {@code capacity} items are full: doubled, at most {@code total}. */
    static int grown(int capacity, long total) {
        return (int) Math.min(total, Math.max(1L, 2L * capacity));
    }
}
