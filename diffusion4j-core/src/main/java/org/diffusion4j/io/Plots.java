package org.diffusion4j.io;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Charts drawn with XChart into BufferedImages (so they can also become GIF frames), and saved as
 * PNG atomically: line charts (loss curves, optionally log-y and EMA-smoothed), scatter plots of
 * 2-D points, and a row of scatter panels with titles (a 2-D diffusion at several t).
 * Non-finite values are skipped (and non-positive ones on a log axis).
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

    /** A line chart of several series. */
    public static BufferedImage lineChart(String title, String xLabel, String yLabel, List<Line> lines, boolean logY,
            int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        style(chart, lines.size() > 1);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setYAxisLogarithmic(logY);
        int k = 0;
        int added = 0;
        for (Line l : lines) {
            double[][] xy = clean(l.x, l.y, logY);
            Color c = l.color != null ? l.color : PALETTE[k % PALETTE.length];
            k++;
            if (xy[0].length == 0) {
                continue;
            }
            XYSeries s = chart.addSeries(l.name, xy[0], xy[1]);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(c);
            s.setLineWidth(1.5f);
            added++;
        }
        if (added == 0) {
            chart.getStyler().setYAxisLogarithmic(false);
            chart.addSeries("(no data)", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /**
     * A loss curve: the raw values (light) and, if {@code smoothing} &gt; 0, their debiased
     * exponential moving average with weight {@code smoothing} (as in TensorBoard, e.g. 0.9).
     */
    public static BufferedImage lossChart(String title, double[] steps, double[] loss, boolean logY,
            double smoothing) {
        List<Line> lines = new ArrayList<>();
        // A long run logs every step (300,000 points take XChart minutes): smooth over all of
        // them, then draw every k-th point, at most MAX_POINTS per line.
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

    /** A scatter plot of one or several point series; range null = automatic axes. */
    public static BufferedImage scatter(String title, List<Points> series, Range range, int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title == null ? "" : title).build();
        style(chart, series.size() > 1);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(series.stream().mapToInt(p -> p.xy.length / 2).sum() > 2000 ? 2 : 4);
        if (range != null) {
            chart.getStyler().setXAxisMin(range.xMin).setXAxisMax(range.xMax);
            chart.getStyler().setYAxisMin(range.yMin).setYAxisMax(range.yMax);
        }
        int k = 0;
        int added = 0;
        for (Points p : series) {
            int n = p.xy.length / 2;
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = p.xy[2 * i];
                y[i] = p.xy[2 * i + 1];
            }
            double[][] xy = clean(x, y, false);
            Color c = p.color != null ? p.color : PALETTE[k % PALETTE.length];
            k++;
            if (xy[0].length == 0) {
                continue;
            }
            XYSeries s = chart.addSeries(p.name, xy[0], xy[1]);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), n > 2000 ? 110 : 200));
            added++;
        }
        if (added == 0) {
            chart.addSeries("(no data)", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return BitmapEncoder.getBufferedImage(chart);
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

    private static void style(XYChart chart, boolean legend) {
        Styler s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendVisible(legend);
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        s.setChartTitleBoxVisible(false);
        s.setPlotBorderVisible(true);
        s.setAntiAlias(true);
        chart.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
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
        return new double[][] {java.util.Arrays.copyOf(ox, k), java.util.Arrays.copyOf(oy, k)};
    }
}
