package org.diffusion4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import org.diffusion4j.UserException;

/**
 * The one entry point that turns a data spec (as typed on the command line) into a DataSet:
 * <ul>
 *   <li>{@code mnist}, {@code mnist:train}, {@code mnist:test}: the bundled MNIST ({@link Mnist});</li>
 *   <li>{@code toy:NAME} with NAME in {@link Toy2D#NAMES}: {@code n} points drawn with {@code seed};</li>
 *   <li>a folder: every PNG/JPEG image in it ({@link ImageFolder}), resized to {@code imageSize}
 *       with {@code channels} channels;</li>
 *   <li>a {@code .npy} file ({@link Npy#read});</li>
 *   <li>a {@code .csv} file of x,y points ({@link Toy2D#readCsv});</li>
 *   <li>any other file is read as an IDX images file (gzipped or not) ({@link IdxReader}); its
 *       labels come from {@code labelsPath} if given, else from the sibling whose name has
 *       "images-idx3" replaced by "labels-idx1", if that exists.</li>
 * </ul>
 */
public final class Datasets {
    /** The accepted forms, for messages. */
    public static final String FORMS = "mnist, mnist:train, mnist:test, toy:{" + String.join(",", Toy2D.NAMES)
            + "}, a folder of PNG/JPEG images, an IDX images file (.gz or not), a .npy file or a .csv of x,y points";

    private Datasets() {}

    /** Options for {@link #open(String, Options)}; a fresh instance has the defaults. */
    public static final class Options {
        /** Points to draw for toy sets. */
        public int n = 10000;
        /** Seed for toy sets. */
        public long seed = 0;
        /** Side length images from a folder are resized to. */
        public int imageSize = 32;
        /** Channels of images from a folder: 1 (grayscale) or 3 (RGB). */
        public int channels = 3;
        /** Explicit IDX labels file, or null. */
        public Path labelsPath;
        /** Told what reading an image folder resized or skipped (default: nobody). */
        public java.util.function.Consumer<ImageFolder.Report> imageReport = r -> { };

        public Options n(int v) {
            n = v;
            return this;
        }

        public Options seed(long v) {
            seed = v;
            return this;
        }

        public Options imageSize(int v) {
            imageSize = v;
            return this;
        }

        public Options channels(int v) {
            channels = v;
            return this;
        }

        public Options labels(Path v) {
            labelsPath = v;
            return this;
        }

        public Options imageReport(java.util.function.Consumer<ImageFolder.Report> v) {
            imageReport = v;
            return this;
        }
    }

    /** {@link #open(String, Options)} with default options. */
    public static DataSet open(String spec) {
        return open(spec, new Options());
    }

    public static DataSet open(String spec, Options o) {
        if (spec == null || spec.isBlank()) {
            throw new UserException("no data given; use one of: " + FORMS);
        }
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "mnist": case "mnist:train":
                return Mnist.train();
            case "mnist:test":
                return Mnist.test();
            default:
                break;
        }
        if (lower.startsWith("toy:")) {
            return Toy2D.generate(s.substring(4), o.n, o.seed);
        }
        if (lower.startsWith("mnist:")) {
            throw new UserException("'" + s + "': unknown MNIST split; use mnist:train or mnist:test");
        }
        Path p = Paths.get(s);
        if (Files.isDirectory(p)) {
            ImageFolder.Result r = ImageFolder.readReporting(p, o.imageSize, o.channels);
            o.imageReport.accept(r.report());
            return r.data();
        }
        if (!Files.exists(p)) {
            throw new UserException(s + ": no such file or folder, and not a known data name; use one of: " + FORMS);
        }
        if (lower.endsWith(".npy") || lower.endsWith(".npy.gz")) {
            return Npy.read(p);
        }
        if (lower.endsWith(".csv") || lower.endsWith(".txt")) {
            return Toy2D.readCsv(p);
        }
        if (!IdxReader.looksLikeIdx(p)) {
            throw new UserException(s + ": not a recognised data file (neither IDX, .npy nor .csv); use one of: "
                    + FORMS);
        }
        Path labels = o.labelsPath;
        if (labels == null) {
            String name = p.getFileName().toString();
            if (name.contains("images-idx3")) {
                Path sib = p.resolveSibling(name.replace("images-idx3", "labels-idx1"));
                if (Files.isRegularFile(sib)) {
                    labels = sib;
                }
            }
        }
        return labels == null ? IdxReader.readImages(p) : IdxReader.readPair(p, labels);
    }
}
