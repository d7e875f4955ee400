package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDArray;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Plots;

/**
 * Records the reverse process of the first batch for pictures: x_t and the predicted clean data
 * x0Hat at about ten evenly spaced steps (the notes' "X_{0,T} ... X_{0,1}" picture), and x_t at
 * about sixty steps for an animation.
 */
public final class Trajectory implements StepListener {
    private final DdpmSpec spec;
    private final int rows;
    private final int columns;
    private final int frames;
    private final List<Integer> ts = new ArrayList<>();
    private final List<float[]> xts = new ArrayList<>();
    private final List<float[]> x0s = new ArrayList<>();
    private final List<Integer> frameTs = new ArrayList<>();
    private final List<float[]> frameXs = new ArrayList<>();
    private boolean done;

    /**
     * @param rows how many samples (images) or points (2-D) to keep per step
     * @param columns how many steps the still picture shows (about ten)
     * @param frames how many animation frames to keep
     */
    public Trajectory(DdpmSpec spec, int rows, int columns, int frames) {
        this.spec = spec;
        this.rows = rows;
        this.columns = columns;
        this.frames = frames;
    }

    private static boolean pick(int index, int count, int wanted) {
        if (wanted <= 1) {
            return index == count - 1;
        }
        // Evenly spaced over [0, count - 1], always including the first and the last call.
        for (int j = 0; j < wanted; j++) {
            if (Math.round((double) j * (count - 1) / (wanted - 1)) == index) {
                return true;
            }
        }
        return false;
    }

    private float[] head(NDArray x) {
        long n = Math.min(rows, x.getShape().get(0));
        return Pictures.toDisplay(spec, x.get("0:" + n));
    }

    @Override
    public void onStep(int index, int count, int t, NDArray xt, NDArray x0Hat) {
        if (done) {
            return;
        }
        if (pick(index, count, columns)) {
            ts.add(t);
            xts.add(head(xt));
            x0s.add(head(x0Hat));
        }
        if (pick(index, count, frames)) {
            frameTs.add(t);
            frameXs.add(head(xt));
        }
        if (index == count - 1) {
            done = true; // only the first batch
        }
    }

    private long[] cellShape(int n) {
        long[] row = spec.rowShape();
        return new long[] {n, row[0], row[1], row[2]};
    }

    /**
     * Images: for each kept sample two rows, x_t over x0Hat, one column per kept step (labelled
     * t). Points: a row of scatter plots of x_t and one of x0Hat.
     */
    public BufferedImage picture() {
        List<String> labels = new ArrayList<>();
        for (int t : ts) {
            labels.add("t=" + t);
        }
        int c = ts.size();
        if (!spec.isImage()) {
            List<String> x0Labels = new ArrayList<>();
            for (int t : ts) {
                x0Labels.add("x0Hat, t=" + t);
            }
            BufferedImage top = Plots.scatterRowSingle(labels, xts, Pictures.TOY_RANGE, 220);
            BufferedImage bottom = Plots.scatterRowSingle(x0Labels, x0s, Pictures.TOY_RANGE, 220);
            BufferedImage out = new BufferedImage(top.getWidth(), top.getHeight() * 2, BufferedImage.TYPE_INT_RGB);
            out.getGraphics().drawImage(top, 0, 0, null);
            out.getGraphics().drawImage(bottom, 0, top.getHeight(), null);
            return out;
        }
        int n = xts.get(0).length / rowSize();
        int size = rowSize();
        float[] cells = new float[2 * n * c * size];
        int k = 0;
        for (int s = 0; s < n; s++) {
            for (List<float[]> src : List.of(xts, x0s)) {
                for (int j = 0; j < c; j++) {
                    System.arraycopy(src.get(j), s * size, cells, k, size);
                    k += size;
                }
            }
        }
        return ImageGrid.labelled(cells, cellShape(2 * n * c), c, labels, 2, 3);
    }

    /** Animation frames of x_t (a grid of the kept samples, or a scatter plot). */
    public List<BufferedImage> frames() {
        List<BufferedImage> out = new ArrayList<>();
        for (int i = 0; i < frameXs.size(); i++) {
            float[] x = frameXs.get(i);
            if (spec.isImage()) {
                int n = x.length / rowSize();
                out.add(ImageGrid.grid(x, cellShape(n), (int) Math.ceil(Math.sqrt(n)), 2, 3));
            } else {
                out.add(Plots.scatter("t = " + frameTs.get(i), List.of(new Plots.Points("x_t", x)), Pictures.TOY_RANGE, 400, 400));
            }
        }
        return out;
    }

    private int rowSize() {
        int s = 1;
        for (long d : spec.rowShape()) {
            s *= (int) d;
        }
        return s;
    }
}
