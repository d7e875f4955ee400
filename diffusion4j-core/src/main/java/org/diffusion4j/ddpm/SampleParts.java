package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Npy;
import org.diffusion4j.io.AtomicFiles;

/**
 * The finished batches of a long sampling job, kept as .npy files in a folder beside its output
 * until the job ends, so that running the same command again after an interruption resumes it.
 * A job is identified by a description of everything that shapes its samples (model file,
 * sampler, seed, batch size, count); parts of a different job are discarded. Each part has a
 * SHA-256 beside it (NAME.sha256), as checkpoints have checksums: a part that does not match
 * (damaged, or written by hand) is drawn again, with the ones after it.
 */
public final class SampleParts implements Ddpm.BatchStore {
    private static final String JOB = "job.txt";

    private final Path dir;
    private final int found;
    private final String damaged;
    private volatile int kept;

    private SampleParts(Path dir, int found, String damaged) {
        this.dir = dir;
        this.found = found;
        this.damaged = damaged;
        this.kept = found;
    }

    /** Opens (or starts) the parts folder of the job described by {@code job}. */
    public static SampleParts open(Path dir, String job) {
        try {
            Path jobFile = dir.resolve(JOB);
            if (Files.isRegularFile(jobFile) && Files.readString(jobFile, StandardCharsets.UTF_8).equals(job)) {
                int found = 0;
                while (Files.isRegularFile(dir.resolve(name(found))) && intact(dir, found)) {
                    found++;
                }
                String damaged = Files.exists(dir.resolve(name(found))) ? name(found) : null;
                for (int i = found; Files.exists(dir.resolve(name(i))) || Files.exists(dir.resolve(sum(i))); i++) {
                    Files.deleteIfExists(dir.resolve(name(i)));
                    Files.deleteIfExists(dir.resolve(sum(i)));
                }
                return new SampleParts(dir, found, damaged);
            }
            if (Files.exists(dir) && !Files.isRegularFile(jobFile)) {
                throw new UserException(dir + " exists but holds no sampling job; move it away or write the samples elsewhere");
            }
            delete(dir);
            Files.createDirectories(dir);
            AtomicFiles.write(jobFile, job.getBytes(StandardCharsets.UTF_8));
            return new SampleParts(dir, 0, null);
        } catch (IOException e) {
            throw new UserException(dir + ": cannot keep the finished batches there (" + e.getMessage()
                    + "); check that the folder is writable", e);
        }
    }

    /** Batches finished by an earlier run of this job. */
    public int found() {
        return found;
    }

    /** Batches kept now: those found and those saved since. */
    public int kept() {
        return kept;
    }

    /** The first part that failed its checksum and is drawn again (deleted, with those after it), or null. */
    public String damaged() {
        return damaged;
    }

    /** Part {@code i} matches the checksum written with it. */
    private static boolean intact(Path dir, int i) throws IOException {
        Path s = dir.resolve(sum(i));
        return Files.isRegularFile(s) && Files.readString(s, StandardCharsets.US_ASCII).strip().equals(sha256(dir.resolve(name(i))));
    }

    private static String sha256(Path file) throws IOException {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    @Override
    public NDArray load(int i, NDManager m) {
        if (i >= found) {
            return null;
        }
        Npy.Array a = Npy.readArray(dir.resolve(name(i)));
        return m.create(a.data(), new Shape(a.shape()));
    }

    @Override
    public void save(int i, NDArray x) {
        Path part = dir.resolve(name(i));
        Npy.write(part, x.toFloatArray(), x.getShape().getShape()); // atomic: a part is whole or absent
        try {
            // written after the part: a part without its sum (a crash between the two) is drawn again
            AtomicFiles.write(dir.resolve(sum(i)), (sha256(part) + "\n").getBytes(StandardCharsets.US_ASCII));
            kept = Math.max(kept, i + 1);
        } catch (IOException e) {
            throw new UserException(part + ": cannot write its checksum (" + e.getMessage() + "); check the disk", e);
        }
    }

    /** The job is complete (its output written): the parts go. */
    public void finish() {
        try {
            delete(dir);
        } catch (IOException e) {
            throw new UserException(dir + ": the samples are written but the finished batches could not be removed ("
                    + e.getMessage() + "); delete the folder by hand", e);
        }
    }

    private static String name(int i) {
        return String.format(Locale.ROOT, "batch-%05d.npy", i);
    }

    private static String sum(int i) {
        return name(i) + ".sha256";
    }

    /** Removes the folder's own files (job and parts), then the folder if nothing else is in it. */
    private static void delete(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.equals(JOB) || n.matches("batch-\\d{5}\\.npy(\\.sha256)?")) {
                    Files.delete(p);
                }
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isEmpty()) {
                Files.delete(dir);
            }
        }
    }
}
