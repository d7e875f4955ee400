package org.diffusion4j.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Plots;
import org.diffusion4j.vae.VaeSpec;

/**
 * The pictures of a VAE: sample grids (one row per class for conditional models),
 * reconstructions (inputs over outputs), the 2-D latent manifold, interpolations, and scatter
 * plots of latent means coloured by class (with the learned class means of the class-prior
 * variant). Vectors (not images) are drawn as scatter plots of their first two values.
 */
public final class VaePictures {
    private VaePictures() {}

    private static float[] firstTwo(float[] rows, int dim) {
        int n = rows.length / dim;
        float[] xy = new float[n * 2];
        for (int i = 0; i < n; i++) {
            xy[2 * i] = rows[i * dim];
            xy[2 * i + 1] = dim > 1 ? rows[i * dim + 1] : 0f;
        }
        return xy;
    }

    /** Samples [n, row...]: a square grid of images, or a scatter of vectors beside the data. */
    public static BufferedImage samples(VaeSpec spec, NDArray x, DataSet reference, String title) {
        float[] v = x.toFloatArray();
        if (spec.isImage()) {
            int n = (int) x.getShape().get(0);
            return ImageGrid.grid(v, x.getShape().getShape(), (int) Math.ceil(Math.sqrt(n)), 2, 2);
        }
        List<Plots.Points> series = new ArrayList<>();
        if (reference != null) {
            int k = Math.min(reference.size(), (int) x.getShape().get(0));
            series.add(new Plots.Points("data", firstTwo(Arrays.copyOf(reference.data(), k * spec.dim()), spec.dim())));
        }
        series.add(new Plots.Points("samples", firstTwo(v, spec.dim())));
        return Plots.scatter(title, series, null, 500, 500);
    }

    /** Samples of several classes, perClass consecutive ones each: one row per class, labelled. */
    public static BufferedImage classGrid(VaeSpec spec, NDArray x, int[] classes, int perClass) {
        if (!spec.isImage()) {
            List<Plots.Points> series = new ArrayList<>();
            float[] v = x.toFloatArray();
            for (int r = 0; r < classes.length; r++) {
                float[] part = Arrays.copyOfRange(v, r * perClass * spec.dim(), (r + 1) * perClass * spec.dim());
                series.add(new Plots.Points("y=" + classes[r], firstTwo(part, spec.dim())));
            }
            return Plots.scatter("samples per class", series, null, 500, 500);
        }
        List<String> labels = new ArrayList<>();
        for (int c : classes) {
            for (int j = 0; j < perClass; j++) {
                labels.add(j == 0 ? String.valueOf(c) : null);
            }
        }
        return ImageGrid.labelled(x.toFloatArray(), x.getShape().getShape(), perClass, labels, 2, 2);
    }

    /** Reconstructions: rows of inputs over rows of their reconstructions, {@code cols} per row. */
    public static BufferedImage reconstructions(VaeSpec spec, float[] inputs, float[] outputs, int n, int cols) {
        if (!spec.isImage()) {
            return Plots.scatter("reconstructions", List.of(new Plots.Points("inputs", firstTwo(inputs, spec.dim())),
                    new Plots.Points("reconstructions", firstTwo(outputs, spec.dim()))), null, 500, 500);
        }
        int d = spec.dim();
        int rows = (n + cols - 1) / cols;
        float[] tiles = new float[rows * 2 * cols * d];
        Arrays.fill(tiles, 1f);
        for (int i = 0; i < n; i++) {
            int r = i / cols;
            int c = i % cols;
            System.arraycopy(inputs, i * d, tiles, ((2 * r) * cols + c) * d, d);
            System.arraycopy(outputs, i * d, tiles, ((2 * r + 1) * cols + c) * d, d);
        }
        long[] shape = spec.batchShape(rows * 2L * cols).getShape();
        return ImageGrid.grid(tiles, shape, cols, 2, 2);
    }

    /** The decoder means over a side x side grid of z in [-range, range]^2 (2-D latent only). */
    public static BufferedImage manifold(Vae vae, int side, double range, int[] cvaeClass, NDManager m) {
        VaeSpec spec = vae.spec();
        if (spec.latent() != 2) {
            throw new UserException("the latent manifold needs a model with a 2-D latent; this one has " + spec.latent()
                    + " latent dimensions");
        }
        if (!spec.isImage()) {
            throw new UserException("the latent manifold is drawn for image data only");
        }
        float[] z = new float[side * side * 2];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                int i = r * side + c;
                z[2 * i] = (float) (-range + 2 * range * c / (side - 1));
                z[2 * i + 1] = (float) (range - 2 * range * r / (side - 1));
            }
        }
        try (NDManager s = m.newSubManager()) {
            int[] classes = null;
            if (cvaeClass != null) {
                classes = new int[side * side];
                Arrays.fill(classes, cvaeClass[0]);
            }
            NDArray x = vae.decode(s.create(z, new Shape(side * side, 2)), classes, s);
            return ImageGrid.grid(x.toFloatArray(), x.getShape().getShape(), side, 0, 2);
        }
    }

    /** Decoder means along the straight line between the latent means of two rows (steps points, both ends included). */
    public static BufferedImage interpolation(Vae vae, DataSet two, int steps, NDManager m) {
        VaeSpec spec = vae.spec();
        float[] mu = vae.encodeMeans(two, m);
        int l = spec.latent();
        float[] z = new float[steps * l];
        for (int s = 0; s < steps; s++) {
            double t = steps == 1 ? 0 : (double) s / (steps - 1);
            for (int j = 0; j < l; j++) {
                z[s * l + j] = (float) ((1 - t) * mu[j] + t * mu[l + j]);
            }
        }
        int[] classes = null;
        if (spec.conditional() == VaeSpec.Conditional.CVAE) {
            classes = new int[steps];
            for (int s = 0; s < steps; s++) {
                classes[s] = s < steps / 2 ? two.label(0) : two.label(1);
            }
        }
        try (NDManager s = m.newSubManager()) {
            NDArray x = vae.decode(s.create(z, new Shape(steps, l)), classes, s);
            float[] strip = new float[(steps + 2) * spec.dim()];
            System.arraycopy(two.data(), 0, strip, 0, spec.dim());
            System.arraycopy(x.toFloatArray(), 0, strip, spec.dim(), steps * spec.dim());
            System.arraycopy(two.data(), spec.dim(), strip, (steps + 1) * spec.dim(), spec.dim());
            if (!spec.isImage()) {
                return Plots.scatter("interpolation", List.of(new Plots.Points("path", firstTwo(strip, spec.dim()))), null, 500, 500);
            }
            return ImageGrid.grid(strip, spec.batchShape(steps + 2).getShape(), steps + 2, 2, 3);
        }
    }

    /**
     * A scatter of latent means [n, L] (first two dimensions) coloured by label, and the learned
     * class means [classes, L] (black) when given.
     */
    public static BufferedImage latentScatter(float[] means, int latent, int[] labels, int numClasses, float[] classMeans,
            String title) {
        List<Plots.Points> series = new ArrayList<>();
        int n = means.length / latent;
        if (labels == null) {
            series.add(new Plots.Points("mu(x)", firstTwo(means, latent)));
        } else {
            for (int c = 0; c < numClasses; c++) {
                int count = 0;
                for (int i = 0; i < n; i++) {
                    if (labels[i] == c) {
                        count++;
                    }
                }
                float[] xy = new float[2 * count];
                for (int i = 0, k = 0; i < n; i++) {
                    if (labels[i] == c) {
                        xy[2 * k] = means[i * latent];
                        xy[2 * k + 1] = latent > 1 ? means[i * latent + 1] : 0f;
                        k++;
                    }
                }
                series.add(new Plots.Points(String.valueOf(c), xy, Plots.PALETTE[c % Plots.PALETTE.length]));
            }
        }
        if (classMeans != null) {
            // Markers have one size per chart: draw each class mean as a small black ring so it stands out.
            float[] xy = firstTwo(means, latent);
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            for (float v : xy) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            float r = 0.015f * Math.max(1e-3f, hi - lo);
            float[] c = firstTwo(classMeans, latent);
            int ring = 24;
            float[] rings = new float[c.length / 2 * (ring + 1) * 2];
            for (int k = 0, o = 0; k < c.length / 2; k++) {
                rings[o++] = c[2 * k];
                rings[o++] = c[2 * k + 1];
                for (int j = 0; j < ring; j++) {
                    double a = 2 * Math.PI * j / ring;
                    rings[o++] = (float) (c[2 * k] + r * Math.cos(a));
                    rings[o++] = (float) (c[2 * k + 1] + r * Math.sin(a));
                }
            }
            series.add(new Plots.Points("class means mu^Y", rings, Color.BLACK));
        }
        return Plots.scatter(title, series, null, 700, 600);
    }
}
