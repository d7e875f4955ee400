package org.diffusion4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.InvalidArgumentException;

/**
 * Checks, before any work starts, that output paths can be written, so that a long job never
 * fails at its very end on a path it could have refused at once. A path passes if the nearest
 * folder that exists on its way accepts a new file (tried for real: a probe file is created and
 * deleted, since permission bits say nothing for root or read-only mounts) and nothing on the way
 * is a file where a folder must be. Nothing is left behind; missing folders are created later by
 * the writers.
 */
public final class OutputPaths {
    private OutputPaths() {}

    /**
     * A file to be written (atomically, through a temporary sibling): it must not be a folder,
     * and its folder must exist or be creatable, and accept new files.
     *
     * @param argument the argument's name as the caller's API names it (shown in the message)
     * @param file the file, or null for an output not asked for (nothing to check)
     */
    public static void requireWritableFile(String argument, Path file) {
        if (file == null) {
            return;
        }
        Path abs = file.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw new InvalidArgumentException(argument, file, "is a folder; give a file name (such as "
                    + file.resolve("out.png") + ")");
        }
        if (Files.exists(abs) && !Files.isWritable(abs)) {
            throw new InvalidArgumentException(argument, file, "exists and is read-only; give another path or make it writable");
        }
        requireCreatable(argument, file, abs.getParent());
    }

    /** A folder to write files into: an existing writable folder, or one that can be created; null: nothing to check. */
    public static void requireWritableFolder(String argument, Path dir) {
        if (dir == null) {
            return;
        }
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new InvalidArgumentException(argument, dir, "is a file, not a folder; give a folder");
        }
        requireCreatable(argument, dir, abs);
    }

    /** "access denied", "read-only file system"...: the system's reason, or the exception's kind. */
    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "creating a file there fails"; // /proc and similar: the kernel answers ENOENT
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason().replace('\n', ' ');
        }
        String kind = e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2");
        return kind.isBlank() ? "I/O error" : kind.toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code folder} exists and accepts a new file, or its nearest existing ancestor does. */
    private static void requireCreatable(String argument, Path given, Path folder) {
        Path existing = folder;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new InvalidArgumentException(argument, given, "has no existing folder on its way; give another path");
        }
        if (!Files.isDirectory(existing)) {
            throw new InvalidArgumentException(argument, given, "cannot be created: " + existing
                    + " is a file, not a folder; give another path");
        }
        try {
            Path probe = Files.createTempFile(existing, ".diffusion4j-probe-", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            throw new InvalidArgumentException(argument, given, "cannot be written: the folder " + existing
                    + " does not accept new files (" + reason(e) + "); give a path in a writable folder");
        }
    }
}
