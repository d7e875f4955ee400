package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.ImageFolder;
import org.diffusion4j.data.Npy;
import org.diffusion4j.eval.ClassScores;
import org.diffusion4j.eval.RequestedClasses;
import org.diffusion4j.eval.SampleQuality;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.classifier.Classifier;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Sample quality of generated digits under the project's digit classifier, beside the value real
 * images get. Meant to hang under 'eval' ('diffusion4j eval samples').
 */
@Command(name = "samples", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score generated images with the digit classifier: FID on its penultimate features (128-d for the bundled cnn, 256-d for the mlp) against "
            + "the test set (Frechet distance with a proper matrix square root), the Inception-Score analogue "
            + "exp(E KL(p(y|x) || p(y))) (1..10), the fraction classified with confidence >= 0.9, and the class histogram.",
            "Beside them, the floor: the same scores of as many real training images (FID of real vs real at the same N; "
                + "FID is biased upwards at small N, so compare at equal N only).",
            "Example: diffusion4j sample --n 1000 --npy samples.npy && diffusion4j eval samples --npy samples.npy"})
public final class EvalSamplesCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    DeviceOption device;

    static final int SIDE = 28;

    static final class Input {
        @Option(names = "--npy", paramLabel = "FILE", required = true,
                description = "Images as .npy: [N, 28, 28] or [N, 1, 28, 28] float32 in [0, 1] (what 'sample --npy' writes).")
        Path npy;

        @Option(names = "--dir", paramLabel = "DIR", required = true,
                description = "A folder of 28x28 PNG images, one digit per file (what 'sample --each' writes).")
        Path dir;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--classifier", paramLabel = "FILE", description = "Classifier weights or run folder, of either architecture (default: the bundled cnn, "
            + "models/classifier-mnist.safetensors; the bundled mlp is models/classifier-mnist-mlp.safetensors).")
    Path classifier;

    @Option(names = "--reference", defaultValue = "mnist:test", description = "Real images FID is measured against (default: ${DEFAULT-VALUE}).")
    String reference;

    @Option(names = "--reference-n", defaultValue = "0", description = "Use only the first N reference images; 0: all (default: ${DEFAULT-VALUE}).")
    int referenceN;

    @Option(names = "--floor", defaultValue = "mnist:train", description = "Real images for the real-vs-real floor, N drawn at random; 'none' to skip (default: ${DEFAULT-VALUE}).")
    String floor;

    @Option(names = "--batch", defaultValue = "256", description = "Images per classifier call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the draw of floor images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--least-confident", paramLabel = "PNG", description = "Also write a grid of the least confident samples, "
            + "least first, each labelled with its predicted class and confidence (to see what the model gets wrong).")
    Path leastConfident;

    @Option(names = "--labels", paramLabel = "FILE", description = "The class each sample was drawn for (.npy of N integers, "
            + "what 'sample --npy' writes beside a class-conditional model's samples); adds the per-class accuracy against "
            + "them and the confident-and-correct fraction (default: FILE.labels.npy beside --npy, if it is there).")
    Path labels;

    @Option(names = "--least-n", defaultValue = "64", description = "How many samples --least-confident shows (default: ${DEFAULT-VALUE}).")
    int leastN;

    @Override
    public Integer call() {
        if (batch < 1 || referenceN < 0) {
            throw new UserException("--batch must be >= 1 and --reference-n >= 0");
        }
        if (leastN < 1) {
            throw new UserException("--least-n must be >= 1");
        }
        OutputPaths.plan().input("--npy", input.npy).inputTree("--dir", input.dir).input("--labels", labels)
                .input("--classifier", classifier).file("--least-confident", leastConfident).check();
        DataSet samples = input.npy != null ? readNpy(input.npy) : readDir(input.dir);
        String what = input.npy != null ? input.npy.toString() : input.dir.toString();
        if (samples.size() < 2) {
            throw new UserException(what + ": holds " + samples.size() + " image; FID needs at least 2 (better 1000 or more)");
        }
        Path labelsFile = labelsFile();
        int[] requested = labelsFile == null ? null : requestedLabels(labelsFile, samples.size()); // checked before the long FID
        DataSet ref = Datasets.open(reference);
        if (referenceN > 0 && referenceN < ref.size()) {
            ref = ref.subset(referenceN);
        }
        DataSet real = "none".equalsIgnoreCase(floor) ? null : Datasets.open(floor);
        TorchRuntime.init();
        Path source = classifier != null ? classifier : BundledModels.classifierMnist();
        long t0 = System.nanoTime();
        try (NDManager m = org.diffusion4j.TorchRuntime.newManager(device.require()); Classifier c = Classifier.load(source, m)) {
            c.requireRowShape(samples.rowShape(), what);
            c.requireRowShape(ref.rowShape(), reference);
            if (real != null) {
                c.requireRowShape(real.rowShape(), floor);
            }
            SampleQuality q = new SampleQuality(c, ref, batch);
            SampleQuality.Scores s = q.score(samples);
            SampleQuality.Scores f = real == null ? null : q.floor(real, samples.size(), seed);
            print(what, source, c.config().hidden(), s, f, q.referenceCount(), (System.nanoTime() - t0) / 1e9);
            if (requested != null) {
                System.out.println("requested classes from " + labelsFile);
                printRequested(RequestedClasses.of(s.probabilities(), requested));
            }
            if (leastConfident != null) {
                writeLeastConfident(samples, s, leastConfident, leastN);
            }
            return 0;
        }
    }

    private void print(String what, Path source, int features, SampleQuality.Scores s, SampleQuality.Scores f, int refCount, double seconds) {
        System.out.printf(Locale.ROOT, "%d images of %s scored by %s against %d images of %s (%.1f s)%n",
                s.count(), what, source, refCount, reference, seconds);
        if (s.count() < features) {
            System.out.println("note: fewer images than the " + features + " feature dimensions: FID is dominated by its small-sample bias");
        }
        String floorHead = f == null ? "" : String.format(Locale.ROOT, "%22s", "real (" + floor + ", N=" + f.count() + ")");
        System.out.printf(Locale.ROOT, "%-24s %12s %s%n", "", "samples", floorHead);
        System.out.printf(Locale.ROOT, "%-24s %12.3f %s%n", "FID", s.fid(), f == null ? "" : String.format(Locale.ROOT, "%22.3f", f.fid()));
        System.out.printf(Locale.ROOT, "%-24s %12.3f %s%n", "IS analogue (max 10)", s.inceptionScore(),
                f == null ? "" : String.format(Locale.ROOT, "%22.3f", f.inceptionScore()));
        System.out.printf(Locale.ROOT, "%-24s %11.1f%% %s%n", "confident (p >= 0.9)", 100 * s.confidentFraction(),
                f == null ? "" : String.format(Locale.ROOT, "%21.1f%%", 100 * f.confidentFraction()));
        System.out.println("class histogram (samples" + (f == null ? ")" : " | real)")
                + "; conf: the fraction of those predicted as the class with confidence >= 0.9");
        double[] sc = s.confidentByClass();
        double[] fc = f == null ? null : f.confidentByClass();
        for (int k = 0; k < s.histogram().length; k++) {
            System.out.printf(Locale.ROOT, "  %d %6d %5.1f%%  %s conf %5.1f%%%s%n", k, s.histogram()[k],
                    100.0 * s.histogram()[k] / s.count(), bar(s.histogram()[k], s.count()), 100 * sc[k],
                    f == null ? "" : String.format(Locale.ROOT, " | %6d %5.1f%% conf %5.1f%%", f.histogram()[k],
                            100.0 * f.histogram()[k] / f.count(), 100 * fc[k]));
        }
    }

    /** --labels, else FILE.labels.npy beside --npy if present, else null. */
    private Path labelsFile() {
        return labels != null ? labels
                : input.npy != null && Files.isRegularFile(ConditionalSampling.labelsFile(input.npy))
                        ? ConditionalSampling.labelsFile(input.npy) : null;
    }

    /** The class each of the n samples was drawn for, read from {@code file}. */
    private static int[] requestedLabels(Path file, int n) {
        Npy.Array a = Npy.readArray(file);
        if (a.shape().length != 1 || a.shape()[0] != n) {
            throw new UserException(file + ": shape " + Arrays.toString(a.shape()) + " does not give one label to each of the "
                    + n + " samples; give the labels written with them ([" + n + "])");
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            float v = a.data()[i];
            if (v != Math.rint(v) || v < 0) {
                throw new UserException(file + ": label " + v + " at row " + i + " is not a class (an integer >= 0)");
            }
            y[i] = (int) v;
        }
        return y;
    }

    private static void printRequested(RequestedClasses r) {
        if (r.total() == 0) {
            System.out.println("no sample was drawn for a class (all null class): no per-class accuracy");
            return;
        }
        System.out.printf(Locale.ROOT, "%-24s %11.1f%%%n", "classified as requested", 100 * r.accuracy());
        System.out.printf(Locale.ROOT, "%-24s %11.1f%%   (worst class %.1f%%)%n", "... and with p >= 0.9",
                100 * r.confidentCorrect(), 100 * r.worstConfidentCorrect());
        System.out.println("per requested class: samples, classified as requested, and with confidence >= 0.9");
        for (int c = 0; c < r.count().length; c++) {
            if (r.count()[c] > 0) {
                System.out.printf(Locale.ROOT, "  %d %6d %6.1f%% %6.1f%%%n", c, r.count()[c], 100 * r.accuracy(c),
                        100 * r.confidentCorrect(c));
            }
        }
    }

    /** The n least confident samples as a grid, each labelled "class confidence" (e.g. "4 0.52"). */
    private static void writeLeastConfident(DataSet samples, SampleQuality.Scores s, Path png, int n) {
        int[] idx = ClassScores.leastConfident(s.probabilities(), n);
        DataSet worst = samples.select(idx);
        List<String> labels = new ArrayList<>();
        for (int i : idx) {
            double[] p = s.probabilities()[i];
            int k = ClassScores.argmax(p);
            labels.add(String.format(Locale.ROOT, "%d %.2f", k, p[k]));
        }
        ImageGrid.writePng(png, ImageGrid.labelled(worst.data(), worst.shape(), 16, labels, 2, 2));
        System.out.printf(Locale.ROOT, "wrote %s: the %d least confident of %d samples (confidence %.2f to %.2f)%n", png, idx.length,
                s.count(), ClassScores.confidence(s.probabilities()[idx[0]]),
                ClassScores.confidence(s.probabilities()[idx[idx.length - 1]]));
    }

    private static String bar(int count, int total) {
        int w = (int) Math.round(40.0 * count / total);
        return String.format(Locale.ROOT, "%-20s", "#".repeat(Math.min(w, 20)));
    }

    /** A .npy of [N, H, W] or [N, C, H, W] values in [0, 1] as a DataSet of rows {C, H, W}. */
    static DataSet readNpy(Path file) {
        Npy.Array a = Npy.readArray(file);
        long[] s = a.shape();
        long[] row;
        if (s.length == 3) {
            row = new long[] {1, s[1], s[2]};
        } else if (s.length == 4) {
            row = new long[] {s[1], s[2], s[3]};
        } else {
            throw new UserException(file + ": shape " + Arrays.toString(s) + " is not a stack of images; give [N, 28, 28] "
                    + "or [N, 1, 28, 28] (what 'sample --npy' writes)");
        }
        if (row[0] != 1 || row[1] != SIDE || row[2] != SIDE) {
            throw new UserException(file + ": images of shape " + Arrays.toString(row) + "; the digit classifier takes "
                    + "grayscale 28x28 images ([N, 28, 28] or [N, 1, 28, 28])");
        }
        float[] v = a.data();
        if (a.descr().endsWith("u1")) {
            for (int i = 0; i < v.length; i++) {
                v[i] /= 255f;
            }
        }
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new UserException(file + ": holds NaN or infinite values; the samples diverged");
            }
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        if (min < -0.01f || max > 1.01f) {
            throw new UserException(String.format(Locale.ROOT, "%s: values range over [%.3f, %.3f]; give images in [0, 1] "
                    + "(model units [-1, 1] map to (x + 1) / 2)", file, min, max));
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.min(1f, Math.max(0f, v[i]));
        }
        return new DataSet(file.getFileName().toString(), v, (int) s[0], row);
    }

    /** The 28x28 images of a folder (or of its class sub-folders), any other size refused. */
    static DataSet readDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UserException(dir + ": no such folder; give a folder of 28x28 PNG images");
        }
        for (Path p : imageFiles(dir)) {
            int[] wh = size(p);
            if (wh != null && (wh[0] != SIDE || wh[1] != SIDE)) {
                throw new UserException(p + ": is " + wh[0] + "x" + wh[1] + "; eval samples takes 28x28 images, one digit per "
                        + "file (write them with 'sample --each DIR', not a grid)");
            }
        }
        return ImageFolder.read(dir, SIDE, 1);
    }

    private static List<Path> imageFiles(Path dir) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (Files.isDirectory(p)) {
                    try (Stream<Path> inner = Files.list(p)) {
                        inner.filter(EvalSamplesCommand::isImage).forEach(out::add);
                    }
                } else if (isImage(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new UserException(dir + ": cannot list the folder (" + e.getMessage() + ")");
        }
        return out;
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".gif") || n.endsWith(".bmp");
    }

    /** Width and height from the image header, or null if unreadable (ImageFolder then names the file). */
    private static int[] size(Path p) {
        try (ImageInputStream in = ImageIO.createImageInputStream(p.toFile())) {
            if (in == null) {
                return null;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in);
                return new int[] {r.getWidth(0), r.getHeight(0)};
            } finally {
                r.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
