package org.diffusion4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import org.diffusion4j.UserException;

/**
 * Writes files so that readers never see a half-written one: the content goes to a temporary
 * file in the same folder, is fsynced, then renamed over the target in one atomic step. A crash
 * leaves either the old file or the new one (plus at most a stray {@code .tmp} file).
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes bytes into the stream it is given; may throw IOException. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        void accept(T t) throws IOException;
    }

    /**
     * Atomically writes {@code target} with what {@code writer} puts into the (buffered) stream.
     * Missing parent folders are created. The stream must not be closed by the writer (closing is
     * harmless, though). I/O failures become a one-line {@link UserException} naming the file.
     */
    public static void write(Path target, IOConsumer<OutputStream> writer) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            if (dir != null) {
                Files.createDirectories(dir);
            }
            // CREATE_NEW with default permissions (0666 & ~umask), unlike createTempFile's 0600
            FileChannel ch = null;
            for (int attempt = 0; ch == null; attempt++) {
                Path candidate = abs.resolveSibling("." + abs.getFileName() + "."
                        + Integer.toHexString(ThreadLocalRandom.current().nextInt()) + ".tmp");
                try {
                    ch = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    tmp = candidate;
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    if (attempt > 100) {
                        throw e;
                    }
                }
            }
            try (FileChannel fc = ch;
                    OutputStream out = new BufferedOutputStream(
                            new NonClosing(Channels.newOutputStream(fc)), 1 << 16)) {
                writer.accept(out);
                out.flush();
                fc.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UserException(target + ": cannot write (" + oneLine(e)
                    + "); check that the folder exists, is writable and the disk is not full", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    /** Atomically writes {@code bytes} to {@code target}. */
    public static void write(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

    private static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported on every platform (e.g. Windows); the rename itself is still atomic
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    /** Lets the try-with-resources close the buffered stream without closing the file early. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
