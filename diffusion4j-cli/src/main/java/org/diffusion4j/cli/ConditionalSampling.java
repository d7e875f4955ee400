package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Locale;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Npy;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.io.ImageGrid;
import picocli.CommandLine.Option;

/**
 * The sample command's options for a class-conditional model: the class, the guidance weight of
 * classifier-free guidance, and what follows from them (labels beside the samples, the grid of
 * one row per class).
 */
public final class ConditionalSampling {
    /** Samples per class of the default grid (one row per class). */
    static final int PER_CLASS = 8;

    @Option(names = "--class", paramLabel = "K", description = "Class-conditional models: draw every sample of class K "
            + "(0..classes-1), or 'none' for the null class (unconditional); default: the same number of each class.")
    String classValue;

    @Option(names = "--guidance", paramLabel = "W", description = "Class-conditional models: the classifier-free guidance "
            + "weight w >= 0, eps = (1 + w) eps(x, class) - w eps(x, null); 0: the conditional model alone (default: the "
            + "weight the model file recommends, 1.0 for the bundled model and for files that record none).")
    Double guidance;

    /** The classes and guidance of n samples, or null for an unconditional model. */
    Ddpm.Guide guide(Ddpm ddpm, int n) {
        if (!ddpm.isConditional()) {
            if (classValue != null || guidance != null) {
                throw new UserException("--class and --guidance need a class-conditional model (train --classes N); "
                        + "this one was trained without labels");
            }
            return null;
        }
        int k = ddpm.spec().numClasses();
        // the bundled model records w = 1: the smallest of the scan in docs/bundled-model.md whose digits
        // are the requested class with confidence at least 0.9 (w = 0 keeps more variety, the better FID)
        double w = guidance != null ? guidance : ddpm.defaultGuidance();
        if (!(w >= 0) || Double.isInfinite(w)) {
            throw new UserException("--guidance must be a number >= 0 (0: no guidance), got " + w);
        }
        if (classValue == null) {
            return Ddpm.Guide.balanced(n, k, w);
        }
        if ("none".equalsIgnoreCase(classValue.trim())) {
            return Ddpm.Guide.of(n, k, w);
        }
        try {
            int y = Integer.parseInt(classValue.trim());
            if (y >= 0 && y < k) {
                return Ddpm.Guide.of(n, y, w);
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new UserException("--class must be a class of this model, 0.." + (k - 1) + ", or 'none', got '" + classValue + "'");
    }

    /** What a resumed job must match. */
    String jobLine() {
        return classValue == null && guidance == null ? "" : "class " + classValue + " guidance " + guidance + "\n";
    }

    /** The grid: one row per class when the samples are balanced over the classes, else square. */
    static BufferedImage grid(Ddpm ddpm, NDArray x, Ddpm.Guide guide) {
        long[] shape = x.getShape().getShape();
        int[] y = guide.labels();
        int perRow = y.length;
        for (int i = 1; i < y.length; i++) {
            if (y[i] != y[i - 1]) {
                perRow = i;
                break;
            }
        }
        boolean rows = perRow < y.length && y.length % perRow == 0;
        int nrow = rows ? perRow : (int) Math.ceil(Math.sqrt(shape[0]));
        return ImageGrid.grid(Pictures.toDisplay(ddpm.spec(), x), shape, nrow, 2, 2);
    }

    /** Writes the requested class of each sample (the null class: K) beside {@code npy}, as float32 [N]. */
    static void writeLabels(Path npy, Ddpm.Guide guide) {
        int[] y = guide.labels();
        float[] v = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            v[i] = y[i];
        }
        Npy.write(labelsFile(npy), v, new long[] {y.length});
    }

    /** FILE.npy -> FILE.labels.npy. */
    static Path labelsFile(Path npy) {
        String name = npy.getFileName().toString();
        String stem = name.toLowerCase(Locale.ROOT).endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        return npy.resolveSibling(stem + ".labels.npy");
    }

    /** ", class 7, guidance 1" for the summary line ("" for an unconditional model). */
    static String describe(Ddpm.Guide guide) {
        if (guide == null) {
            return "";
        }
        int[] y = guide.labels();
        boolean one = java.util.Arrays.stream(y).allMatch(v -> v == y[0]);
        return String.format(Locale.ROOT, ", %s, guidance %s (%s)", one ? "class " + y[0] : "every class",
                guide.guidance(), guide.guidance() > 0 ? "2 rows per sample in each call" : "conditional only");
    }
}
