package org.diffusion4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;

/**
 * Checks, before any work starts, that output paths can be written, so that a long job never
 * fails at its very end on a path it could have refused at once. A path passes if the nearest
 * folder that exists on its way accepts a new file (tried for real: a probe file is created and
 * deleted, since permission bits say nothing for root or read-only mounts) and nothing on the way
 * is a file where a folder must be. Nothing is left behind; missing folders are created later by
 * the writers.
 *
 * <p>{@link #plan()} adds the one rule about clashes: every output, resolved to its real path
 * (links followed), differs from every input and from every other output, and no output is a
 * file that a run or model folder owns ({@link #isOwnedFile}).
 */
public final class OutputPaths {
    private OutputPaths() {}

    /**
     * The files a run folder (checkpoints, configuration, metrics) or a diffusers folder holds its
     * state in: rewriting one as another command's output destroys the run, so none may be one.
     */
    private static final Pattern OWNED = Pattern.compile("checkpoint(\\.\\d+)?\\.bin(\\.damaged)?|config\\.json|metrics\\.jsonl"
            + "|model_index\\.json|scheduler_config\\.json|diffusion_pytorch_model\\..+");
    /** A folder holding one of these is a run or model folder. */
    private static final List<String> MARKERS = List.of("checkpoint.bin", "config.json", "metrics.jsonl", "model_index.json");

    /** True if {@code file} is one of the files a run or model folder owns, in such a folder. */
    public static boolean isOwnedFile(Path file) {
        Path real = realPath(file);
        Path dir = real.getParent();
        if (dir == null || real.getFileName() == null || !OWNED.matcher(real.getFileName().toString()).matches()) {
            return false;
        }
        return MARKERS.stream().anyMatch(m -> Files.exists(dir.resolve(m)));
    }

    /**
     * The path with every link on its way followed, for a path that need not exist yet: the
     * nearest existing ancestor's real path with the rest appended.
     */
    public static Path realPath(Path p) {
        Path abs = p.toAbsolutePath();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs.normalize();
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
        } catch (IOException | SecurityException e) {
            return abs.normalize();
        }
    }

    /** A new, empty set of a command's inputs and outputs to check. */
    public static Plan plan() {
        return new Plan();
    }

    /**
     * A command's inputs and outputs, named as its caller names them, checked together by
     * {@link #check()} before any work starts: each output must be writable (as above), must not
     * be an input (nor a file inside an input folder read whole), must not be another output, and
     * must not be a file a run or model folder owns. A null path is an option not given.
     */
    public static final class Plan {
        private record Entry(String argument, Path given, Path real, Kind kind) {}

        private enum Kind { INPUT, INPUT_TREE, FILE, FOLDER }

        private final List<Entry> entries = new ArrayList<>();

        private Plan() {}

        private Plan add(String argument, Path p, Kind kind) {
            if (p != null) {
                entries.add(new Entry(argument, p, realPath(p), kind));
            }
            return this;
        }

        /** A file or folder read (a model, a run folder, a data file). */
        public Plan input(String argument, Path p) {
            return add(argument, p, Kind.INPUT);
        }

        /** A folder read with everything in it (an image folder, a diffusers folder): no output may lie inside. */
        public Plan inputTree(String argument, Path p) {
            return add(argument, p, Kind.INPUT_TREE);
        }

        /** A file to write. */
        public Plan file(String argument, Path p) {
            return add(argument, p, Kind.FILE);
        }

        /** A folder to write files into. */
        public Plan folder(String argument, Path p) {
            return add(argument, p, Kind.FOLDER);
        }

        /** Throws a one-line {@link UserException} naming both arguments at the first clash. */
        public void check() {
            for (int i = 0; i < entries.size(); i++) {
                Entry o = entries.get(i);
                if (o.kind() == Kind.FILE) {
                    requireWritableFile(o.argument(), o.given());
                    if (isOwnedFile(o.given())) {
                        Entry folder = entries.stream().filter(x -> (x.kind() == Kind.INPUT || x.kind() == Kind.INPUT_TREE)
                                && x.real().equals(o.real().getParent())).findFirst().orElse(null);
                        throw new UserException(o.argument() + " " + o.given() + " is the " + o.real().getFileName()
                                + " of the run or model in " + (folder != null ? folder.argument() + " " + folder.given()
                                : o.real().getParent()) + ", which writing it would destroy; give " + o.argument()
                                + " another path");
                    }
                } else if (o.kind() == Kind.FOLDER) {
                    requireWritableFolder(o.argument(), o.given());
                } else {
                    continue;
                }
                for (int j = 0; j < entries.size(); j++) {
                    Entry x = entries.get(j);
                    boolean output = x.kind() == Kind.FILE || x.kind() == Kind.FOLDER;
                    if (j == i || (output && j < i)) {
                        continue; // a pair of outputs is checked once
                    }
                    if (o.real().equals(x.real())) {
                        throw clash(o, x, output ? "is also" : "is the same path as");
                    }
                    if (x.kind() == Kind.INPUT_TREE && o.real().startsWith(x.real())) {
                        throw clash(o, x, "lies inside the folder read as");
                    }
                }
            }
        }

        private static UserException clash(Entry out, Entry other, String relation) {
            return new UserException(out.argument() + " " + out.given() + " " + relation + " " + other.argument() + " "
                    + other.given() + "; give " + out.argument() + " another path");
        }
    }

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
