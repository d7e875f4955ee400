package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.UserException;

/**
 * The last N checkpoints of a run: the newest under its own name (checkpoint.bin), the older
 * ones as checkpoint.1.bin (the previous), checkpoint.2.bin, ... Before a new checkpoint is
 * written the generations shift by one, the newest by a hard link (a copy where links are not
 * supported), so that the newest name always holds a whole checkpoint. Reading falls back to the
 * newest intact generation when newer ones are damaged.
 */
public final class CheckpointGenerations {
    private CheckpointGenerations() {}

    /** The file of generation {@code k} (0: the newest) of the checkpoint named {@code newest}. */
    public static Path file(Path newest, int k) {
        if (k == 0) {
            return newest;
        }
        String name = newest.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String older = dot > 0 ? name.substring(0, dot) + "." + k + name.substring(dot) : name + "." + k;
        return newest.resolveSibling(older);
    }

    /** The existing generations, newest first (a gap, as after a crash, is skipped). */
    public static List<Path> existing(Path newest) {
        List<Path> files = new ArrayList<>();
        int missing = 0;
        for (int k = 0; missing < 2; k++) {
            Path f = file(newest, k);
            if (Files.isRegularFile(f)) {
                files.add(f);
                missing = 0;
            } else {
                missing++;
            }
        }
        return files;
    }

    /**
     * Makes room for a new newest checkpoint when {@code keep} generations are kept: generation
     * k becomes k + 1 for k {@literal <} keep - 1, and generations from keep on are deleted.
     */
    public static void shift(Path newest, int keep) {
        try {
            for (int k = keep; Files.exists(file(newest, k)) || Files.exists(file(newest, k + 1)); k++) {
                Files.deleteIfExists(file(newest, k));
            }
            for (int k = keep - 1; k >= 2; k--) {
                if (Files.exists(file(newest, k - 1))) {
                    move(file(newest, k - 1), file(newest, k));
                }
            }
            if (keep >= 2 && Files.exists(newest)) {
                Path tmp = newest.resolveSibling("." + file(newest, 1).getFileName() + ".tmp");
                Files.deleteIfExists(tmp);
                try {
                    Files.createLink(tmp, newest);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(newest, tmp);
                }
                move(tmp, file(newest, 1));
            }
        } catch (IOException e) {
            throw new UserException(newest.getParent() + ": cannot keep the previous checkpoint (" + e.getMessage()
                    + "); check that the folder is writable and the disk is not full", e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * The newest intact checkpoint: {@code file} is the checkpoint that was read, {@code damaged}
     * the newer generations that failed to load, and {@code note} one line saying so (null when
     * the newest loaded).
     */
    public record Intact(Checkpoint checkpoint, Path file, List<Path> damaged, String note) {}

    /**
     * Reads the newest generation that loads (checksums, values); when none does, throws the
     * newest one's UserException. A generation of the wrong kind is not skipped: that is an error.
     */
    public static Intact readNewestIntact(Path newest, String kind, NDManager m) {
        List<Path> files = existing(newest);
        if (files.isEmpty()) {
            Checkpoint.read(newest, m); // says what is missing
        }
        List<Path> damaged = new ArrayList<>();
        UserException first = null;
        for (Path f : files) {
            Checkpoint c;
            try (NDManager attempt = m.newSubManager()) {
                c = Checkpoint.read(f, attempt);
                for (NamedArrays a : c.sections().values()) {
                    a.arrays().forEach(x -> x.attach(m)); // keep what loaded, drop what a failed read left
                }
            } catch (UserException e) {
                first = first == null ? e : first;
                damaged.add(f);
                continue;
            }
            c.requireKind(kind, f);
            String note = !damaged.isEmpty() ? withoutAdvice(first.getMessage()) + "; falling back to " + f + " (step " + c.step() + ")"
                    : !f.equals(newest) ? newest + " is missing; falling back to " + f + " (step " + c.step() + ")" : null;
            return new Intact(c, f, damaged, note);
        }
        throw new UserException(first.getMessage() + (files.size() > 1 ? " (and the older checkpoints are damaged too)"
                : " (no older checkpoint to fall back to)"));
    }

    /** A damage message without its closing advice (to use an earlier copy), which the fallback follows. */
    private static String withoutAdvice(String message) {
        int cut = Math.max(message.lastIndexOf("; use an earlier"), message.lastIndexOf(": use an earlier"));
        return cut > 0 ? message.substring(0, cut) : message;
    }

    /**
     * Renames damaged generations to NAME.damaged, out of the rotation, so that the next save
     * does not shift a damaged file over an intact older one.
     */
    public static void setAside(List<Path> damaged) {
        for (Path f : damaged) {
            try {
                move(f, f.resolveSibling(f.getFileName() + ".damaged"));
            } catch (IOException e) {
                throw new UserException(f + ": cannot set the damaged checkpoint aside (" + e.getMessage() + ")", e);
            }
        }
    }
}
