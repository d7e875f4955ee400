package org.diffusion4j.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.diffusion4j.UserException;

/**
 * One trainer per run folder: an operating-system lock on RUN_DIR/.lock, held while a trainer
 * is open and released when it closes or its process dies (so it never goes stale). A second
 * trainer on the same folder would overwrite the first one's checkpoints with its own.
 */
final class RunLock implements AutoCloseable {
    static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static RunLock acquire(Path dir) {
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) { // held by this very process
                l = null;
            }
            if (l == null) {
                throw new UserException(dir + " is being trained by another process; stop that one first "
                        + "(Ctrl-C or SIGTERM saves its checkpoint), then resume");
            }
            return new RunLock(ch, l);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UserException(dir + ": cannot lock the run folder (" + e.getMessage() + "); check that it is writable", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // the channel's close below releases it too
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
        }
    }
}
