package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Plots;
import org.diffusion4j.train.MetricsLog;

/** The pictures a DDPM run shows: sample grids (images) or scatter plots (2-D points), loss curves. */
public final class Pictures {
    /** Fixed range of 2-D toy pictures (the toy sets are standardised to about unit scale). */
    public static final Plots.Range TOY_RANGE = Plots.Range.square(3.5);

    private Pictures() {}

    /** Model units to display units: [-1, 1] to [0, 1] for images, unchanged for points. */
    public static float[] toDisplay(DdpmSpec spec, NDArray x) {
        float[] v = x.toFloatArray();
        return spec.isImage() ? ImageGrid.fromMinusOneOne(v) : v;
    }

    /**
     * A grid of image samples, or for 2-D points two scatter panels: the data (as many points,
     * evenly spread over the set) beside the samples; just the samples without reference data.
     */
    public static BufferedImage samples(DdpmSpec spec, NDArray x, DataSet reference, String title) {
        if (spec.isImage()) {
            long[] shape = x.getShape().getShape();
            int nrow = (int) Math.ceil(Math.sqrt(shape[0]));
            return ImageGrid.grid(toDisplay(spec, x), shape, nrow, 2, 2);
        }
        float[] samples = toDisplay(spec, x);
        if (reference == null) {
            return Plots.scatter(title, List.of(new Plots.Points("samples", samples, Plots.PALETTE[1])), TOY_RANGE, 500, 500);
        }
        float[] data = spreadPoints(reference, samples.length / 2);
        return Plots.scatterRow(List.of(reference.name() + " (" + data.length / 2 + ")", title + " (" + samples.length / 2 + ")"),
                List.of(List.of(new Plots.Points("data", data, Plots.PALETTE[0])),
                        List.of(new Plots.Points("samples", samples, Plots.PALETTE[1]))), TOY_RANGE, 500);
    }

    /**
     * n rows of a 2-D data set as interleaved xy, rows i * size / n (evenly spread: the toy sets
     * store their classes one after the other, so the first n rows could be one class only).
     */
    public static float[] spreadPoints(DataSet d, int n) {
        int k = Math.min(n, d.size());
        float[] xy = new float[k * 2];
        for (int i = 0; i < k; i++) {
            d.copyRow((int) ((long) i * d.size() / k), xy, 2 * i);
        }
        return xy;
    }

    /** loss.png in the run folder from metrics.jsonl: raw and smoothed, log scale. */
    public static void lossCurve(Path runDir) {
        try {
            Path metrics = runDir.resolve("metrics.jsonl");
            if (!Files.exists(metrics)) {
                return;
            }
            double[][] rows = MetricsLog.read(metrics, "loss");
            double[] steps = new double[rows.length];
            double[] loss = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                steps[i] = rows[i][0];
                loss[i] = rows[i][1];
            }
            save(runDir.resolve("loss.png"), Plots.lossChart("training loss", steps, loss, true, 0.98));
        } catch (IOException e) {
            // a picture is not worth stopping a run for
        }
    }

    public static void save(Path file, BufferedImage img) {
        ImageGrid.writePng(file, img);
    }
}
