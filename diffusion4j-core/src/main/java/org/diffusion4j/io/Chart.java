package org.diffusion4j.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * The frame of one chart on a white image: title, plot area with a grid, axes with tick labels,
 * axis titles, and a legend in the top right corner. Series are drawn by the caller through
 * {@link #graphics()}, clipped to the plot area, with {@link #x} and {@link #y} mapping data to pixels.
 */
final class Chart {
    static final Color FRAME = new Color(0x555555);
    static final Color GRID = new Color(0xdddddd);
    private static final int TICK = 4;

    final Axis x;
    final Axis y;
    /** The plot area: data range [min, max] spans from its left/bottom edge to its right/top edge. */
    final Rectangle area;
    private final BufferedImage image;
    private final Graphics2D g;

    /** xRange and yRange are {min, max}; a log y range must be positive. */
    Chart(int width, int height, String title, String xLabel, String yLabel, double[] xRange, double[] yRange,
            boolean logY) {
        image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        boolean small = Math.min(width, height) < 300;
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, small ? 12 : 14);
        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, small ? 10 : 11);
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        FontMetrics tm = g.getFontMetrics(tickFont);
        FontMetrics lm = g.getFontMetrics(labelFont);
        boolean hasTitle = title != null && !title.isEmpty();
        boolean hasX = xLabel != null && !xLabel.isEmpty();
        boolean hasY = yLabel != null && !yLabel.isEmpty();

        // Vertical layout first: the y ticks depend on the plot height, the left margin on their labels.
        int top = hasTitle ? g.getFontMetrics(titleFont).getHeight() + 10 : 10;
        int bottom = height - (TICK + tm.getHeight() + 6 + (hasX ? lm.getHeight() + 4 : 0));
        y = new Axis(yRange[0], yRange[1], logY, bottom, top);
        List<Axis.Tick> yTicks = y.ticks(Math.max(3, (bottom - top) / 45));
        int labelWidth = 0;
        for (Axis.Tick t : yTicks) {
            labelWidth = Math.max(labelWidth, tm.stringWidth(t.label()));
        }
        int left = labelWidth + TICK + 8 + (hasY ? lm.getHeight() + 4 : 0);
        int right = width - 16;
        x = new Axis(xRange[0], xRange[1], false, left, right);
        List<Axis.Tick> xTicks = x.ticks(Math.max(3, (right - left) / 70));
        area = new Rectangle(left, top, right - left, bottom - top);

        for (Axis.Tick t : yTicks) {
            int py = (int) Math.round(y.pixel(t.value()));
            g.setColor(GRID);
            g.drawLine(left + 1, py, right - 1, py);
            g.setColor(FRAME);
            g.drawLine(left - TICK, py, left, py);
            g.setColor(Color.BLACK);
            g.setFont(tickFont);
            g.drawString(t.label(), left - TICK - 3 - tm.stringWidth(t.label()), py + tm.getAscent() / 2 - 1);
        }
        for (Axis.Tick t : xTicks) {
            int px = (int) Math.round(x.pixel(t.value()));
            g.setColor(GRID);
            g.drawLine(px, top + 1, px, bottom - 1);
            g.setColor(FRAME);
            g.drawLine(px, bottom, px, bottom + TICK);
            g.setColor(Color.BLACK);
            g.setFont(tickFont);
            g.drawString(t.label(), px - tm.stringWidth(t.label()) / 2, bottom + TICK + 2 + tm.getAscent());
        }
        g.setColor(Color.BLACK);
        if (hasTitle) {
            g.setFont(titleFont);
            FontMetrics fm = g.getFontMetrics();
            g.drawString(title, (width - fm.stringWidth(title)) / 2, 5 + fm.getAscent());
        }
        g.setFont(labelFont);
        if (hasX) {
            g.drawString(xLabel, left + (right - left - lm.stringWidth(xLabel)) / 2, height - 4 - lm.getDescent());
        }
        if (hasY) {
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(top + (bottom - top + lm.stringWidth(yLabel)) / 2), 4 + lm.getAscent());
            g.setTransform(saved);
        }
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.clip(area);
    }

    /** Draws on the plot area (clipped to it, antialiased); data go through {@link #x} and {@link #y}. */
    Graphics2D graphics() {
        return g;
    }

    /** A centred text in the plot area, for a chart without data. */
    void note(String text) {
        g.setColor(Color.GRAY);
        FontMetrics fm = g.getFontMetrics();
        g.drawString(text, (int) area.getCenterX() - fm.stringWidth(text) / 2, (int) area.getCenterY());
    }

    /**
     * Finishes the chart: the legend (if {@code names} has more than one entry; short lines or
     * dots in the series' colours) and the frame on top of everything; returns the image.
     */
    BufferedImage finish(List<String> names, List<Color> colors, boolean lines) {
        g.setClip(null);
        if (names.size() > 1) {
            legend(names, colors, lines);
        }
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        g.setStroke(new BasicStroke(1));
        g.setColor(FRAME);
        g.drawRect(area.x, area.y, area.width, area.height);
        g.dispose();
        return image;
    }

    private void legend(List<String> names, List<Color> colors, boolean lines) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        int swatch = 18;
        int textWidth = names.stream().mapToInt(fm::stringWidth).max().orElse(0);
        int row = fm.getHeight() + 2;
        int w = swatch + 14 + textWidth;
        int h = row * names.size() + 8;
        int bx = area.x + area.width - w - 8;
        int by = area.y + 8;
        g.setColor(new Color(255, 255, 255, 220));
        g.fillRect(bx, by, w, h);
        g.setColor(GRID);
        g.drawRect(bx, by, w, h);
        for (int i = 0; i < names.size(); i++) {
            double cy = by + 4 + row * i + row / 2.0;
            g.setColor(colors.get(i));
            if (lines) {
                g.setStroke(new BasicStroke(2f));
                g.draw(new Line2D.Double(bx + 5, cy, bx + 5 + swatch, cy));
            } else {
                g.fill(new Ellipse2D.Double(bx + 5 + swatch / 2.0 - 4, cy - 4, 8, 8));
            }
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), bx + swatch + 10, (int) Math.round(cy + fm.getAscent() / 2.0 - 1));
        }
    }
}
