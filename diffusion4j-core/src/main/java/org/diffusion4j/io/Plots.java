package org.diffusion4j.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Charts drawn with Java2D into BufferedImages (so they can also become GIF frames), and saved as
 * PNG atomically: line charts (loss curves, optionally log-y and EMA-smoothed), scatter plots of
 * 2-D points, and a row of scatter panels with titles (a 2-D diffusion at several t).
 * Non-finite values are skipped (and non-positive ones on a log axis); a legend appears when
 * there is more than one series.
 */
public final class Plots {
    static {
        Headless.ensure();
    }

    /** A palette of distinguishable colours (tab10). */
    public static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private Plots() {}

    /** A line series; color null = from the palette. */
    public record Line(String name, double[] x, double[] y, Color color) {
        public Line(String name, double[] x, double[] y) {
            this(name, x, y, null);
        }
    }

    /** A point series: xy interleaved (x0, y0, x1, y1, ...), as a DataSet of rowShape {2} stores it. */
    public record Points(String name, float[] xy, Color color) {
        public Points(String name, float[] xy) {
            this(name, xy, null);
        }
    }

    /** Fixed axis ranges for scatter plots. */
    public record Range(double xMin, double xMax, double yMin, double yMax) {
        /** A square range [-r, r] x [-r, r]. */
        public static Range square(double r) {
            return new Range(-r, r, -r, r);
        }
    }

    /** A line chart of several series; a line's non-finite points are left out, the rest joined. */
    public static BufferedImage lineChart(String title, String xLabel, String yLabel, List<Line> lines, boolean logY,
            int width, int height) {
        List<double[][]> cleaned = new ArrayList<>();
        for (Line l : lines) {
            cleaned.add(clean(l.x, l.y, logY));
        }
        double[] xs = cleaned.stream().flatMapToDouble(c -> Arrays.stream(c[0])).toArray();
        double[] ys = cleaned.stream().flatMapToDouble(c -> Arrays.stream(c[1])).toArray();
        Chart chart = new Chart(width, height, title, xLabel, yLabel, Axis.autoRange(xs, false),
                Axis.autoRange(ys, logY), logY);
        Graphics2D g = chart.graphics();
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        List<String> names = new ArrayList<>();
        List<Color> colors = new ArrayList<>();
        for (int k = 0; k < lines.size(); k++) {
            double[][] xy = cleaned.get(k);
            if (xy[0].length == 0) {
                continue;
            }
            Path2D.Double path = new Path2D.Double();
            path.moveTo(chart.x.pixel(xy[0][0]), chart.y.pixel(xy[1][0]));
            for (int i = 1; i < xy[0].length; i++) {
                path.lineTo(chart.x.pixel(xy[0][i]), chart.y.pixel(xy[1][i]));
            }
            Color c = colorOf(lines.get(k).color, k);
            g.setColor(c);
            g.draw(path);
            names.add(lines.get(k).name);
            colors.add(c);
        }
        if (names.isEmpty()) {
            chart.note("(no data)");
        }
        return chart.finish(names, colors, true);
    }

    /**
     * A loss curve: the raw values (light) and, if {@code smoothing} &gt; 0, their debiased
     * exponential moving average with weight {@code smoothing} (as in TensorBoard, e.g. 0.9).
     */
    public static BufferedImage lossChart(String title, double[] steps, double[] loss, boolean logY,
            double smoothing) {
        List<Line> lines = new ArrayList<>();
        // A long run logs every step (300,000 points): smooth over all of them, then draw
        // every k-th point, at most MAX_POINTS per line.
        double[] x = thin(steps, MAX_POINTS);
        if (smoothing > 0) {
            lines.add(new Line("loss", x, thin(loss, MAX_POINTS), new Color(0x1f77b4).brighter()));
            lines.add(new Line("smoothed", x, thin(ema(loss, smoothing), MAX_POINTS), new Color(0x08306b)));
        } else {
            lines.add(new Line("loss", x, thin(loss, MAX_POINTS), new Color(0x1f77b4)));
        }
        return lineChart(title, "step", "loss", lines, logY, 800, 500);
    }

    /** Points per line of a loss chart. */
    public static final int MAX_POINTS = 4000;

    /** Every k-th value (the first and the last always), k the smallest stride leaving at most {@code max}. */
    public static double[] thin(double[] y, int max) {
        if (y.length <= max) {
            return y;
        }
        int k = (y.length - 2) / (max - 1) + 1;
        int n = (y.length - 1 + k - 1) / k + 1; // indices 0, k, 2k, ... below the last, then the last
        double[] out = new double[n];
        for (int i = 0; i < n - 1; i++) {
            out[i] = y[i * k];
        }
        out[n - 1] = y[y.length - 1];
        return out;
    }

    /** Debiased exponential moving average (weight in [0, 1)); non-finite values are carried over. */
    public static double[] ema(double[] y, double weight) {
        double[] out = new double[y.length];
        double acc = 0;
        double norm = 0;
        for (int i = 0; i < y.length; i++) {
            if (Double.isFinite(y[i])) {
                acc = weight * acc + (1 - weight) * y[i];
                norm = weight * norm + (1 - weight);
            }
            out[i] = norm > 0 ? acc / norm : Double.NaN;
        }
        return out;
    }

    /**
     * A scatter plot of one or several point series; range null = automatic axes. Dots are
     * translucent (more so beyond 2,000 points, which also get smaller dots).
     */
    public static BufferedImage scatter(String title, List<Points> series, Range range, int width, int height) {
        List<double[][]> cleaned = new ArrayList<>();
        for (Points p : series) {
            int n = p.xy.length / 2;
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = p.xy[2 * i];
                y[i] = p.xy[2 * i + 1];
            }
            cleaned.add(clean(x, y, false));
        }
        double[] xr = range != null ? new double[] {range.xMin, range.xMax}
                : Axis.autoRange(cleaned.stream().flatMapToDouble(c -> Arrays.stream(c[0])).toArray(), false);
        double[] yr = range != null ? new double[] {range.yMin, range.yMax}
                : Axis.autoRange(cleaned.stream().flatMapToDouble(c -> Arrays.stream(c[1])).toArray(), false);
        Chart chart = new Chart(width, height, title, null, null, xr, yr, false);
        Graphics2D g = chart.graphics();
        double size = series.stream().mapToInt(p -> p.xy.length / 2).sum() > 2000 ? 2 : 4;
        List<String> names = new ArrayList<>();
        List<Color> colors = new ArrayList<>();
        for (int k = 0; k < series.size(); k++) {
            double[][] xy = cleaned.get(k);
            Color c = colorOf(series.get(k).color, k);
            if (xy[0].length == 0) {
                continue;
            }
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), dotAlpha(series.get(k).xy.length / 2)));
            for (int i = 0; i < xy[0].length; i++) {
                g.fill(new Ellipse2D.Double(chart.x.pixel(xy[0][i]) - size / 2, chart.y.pixel(xy[1][i]) - size / 2,
                        size, size));
            }
            names.add(series.get(k).name);
            colors.add(c);
        }
        if (names.isEmpty()) {
            chart.note("(no data)");
        }
        return chart.finish(names, colors, false);
    }

    /** The opacity of a series' dots: overlapping dots of a dense cloud still show its density. */
    static int dotAlpha(int points) {
        return points > 2000 ? 110 : 200;
    }

    /**
     * Scatter panels side by side, one per entry of {@code panels} (each a list of series), with
     * the given titles, all with the same range (null = each automatic) and panel size.
     */
    public static BufferedImage scatterRow(List<String> titles, List<List<Points>> panels, Range range,
            int panelSize) {
        if (titles.size() != panels.size()) {
            throw new IllegalArgumentException(titles.size() + " titles for " + panels.size() + " panels");
        }
        int n = panels.size();
        BufferedImage out = new BufferedImage(Math.max(1, n) * panelSize, panelSize, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int i = 0; i < n; i++) {
            g.drawImage(scatter(titles.get(i), panels.get(i), range, panelSize, panelSize), i * panelSize, 0, null);
        }
        g.dispose();
        return out;
    }

    /** Convenience: one series per panel. */
    public static BufferedImage scatterRowSingle(List<String> titles, List<float[]> points, Range range,
            int panelSize) {
        List<List<Points>> panels = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            panels.add(List.of(new Points(titles.get(i), points.get(i))));
        }
        return scatterRow(titles, panels, range, panelSize);
    }

    /** Writes a chart image as PNG, atomically; returns it. */
    public static BufferedImage save(Path file, BufferedImage img) {
        ImageGrid.writePng(file, img);
        return img;
    }

    private static Color colorOf(Color given, int index) {
        return given != null ? given : PALETTE[index % PALETTE.length];
    }

    private static double[][] clean(double[] x, double[] y, boolean positiveY) {
        int n = Math.min(x.length, y.length);
        double[] ox = new double[n];
        double[] oy = new double[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!positiveY || y[i] > 0)) {
                ox[k] = x[i];
                oy[k] = y[i];
                k++;
            }
        }
        return new double[][] {Arrays.copyOf(ox, k), Arrays.copyOf(oy, k)};
    }
}
