package org.diffusion4j.data;

import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.diffusion4j.UserException;

/**
 * The MNIST copy bundled in the repository's {@code data/mnist}: looked up in
 * {@code ${diffusion4j.home}/data/mnist} (system property set by the launcher script to the
 * repository root), else {@code ./data/mnist}. Parsed sets are cached behind soft references, so
 * repeated calls are cheap until memory gets tight. Images have rowShape {1, 28, 28}, values in
 * [0, 1], labels 0..9.
 */
public final class Mnist {
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

    private static SoftReference<DataSet> train = new SoftReference<>(null);
    private static SoftReference<DataSet> test = new SoftReference<>(null);

    private Mnist() {}

    /** The 60000 training images with labels. */
    public static synchronized DataSet train() {
        DataSet d = train.get();
        if (d == null) {
            Path dir = directory();
            d = IdxReader.readPair(dir.resolve(TRAIN_IMAGES), dir.resolve(TRAIN_LABELS)).withName("mnist:train");
            train = new SoftReference<>(d);
        }
        return d;
    }

    /** The 10000 test images with labels. */
    public static synchronized DataSet test() {
        DataSet d = test.get();
        if (d == null) {
            Path dir = directory();
            d = IdxReader.readPair(dir.resolve(TEST_IMAGES), dir.resolve(TEST_LABELS)).withName("mnist:test");
            test = new SoftReference<>(d);
        }
        return d;
    }

    /** The folder holding the bundled MNIST files. */
    public static Path directory() {
        String home = System.getProperty("diffusion4j.home");
        Path fromHome = home == null || home.isBlank() ? null : Paths.get(home, "data", "mnist");
        if (fromHome != null && Files.isRegularFile(fromHome.resolve(TRAIN_IMAGES))) {
            return fromHome;
        }
        Path local = Paths.get("data", "mnist");
        if (Files.isRegularFile(local.resolve(TRAIN_IMAGES))) {
            return local;
        }
        throw new UserException("bundled MNIST not found (looked for " + TRAIN_IMAGES + " in "
                + (fromHome != null ? fromHome.toAbsolutePath() + " and " : "")
                + local.toAbsolutePath() + "); run from the repository root, set -Ddiffusion4j.home=<repo root>,"
                + " or give the IDX files' path instead of 'mnist'");
    }
}
