package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pictures drawn by Plots, read back pixel by pixel: where data land, in which colour, at which size. */
class PlotsTest {
    /** The frame's two longest columns and rows of frame colour: {left, right, top, bottom}. */
    private static int[] frame(BufferedImage img) {
        int[] cols = new int[img.getWidth()];
        int[] rows = new int[img.getHeight()];
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == Chart.FRAME.getRGB() - 0xff000000) {
                    cols[x]++;
                    rows[y]++;
                }
            }
        }
        int[] c = twoLargest(cols);
        int[] r = twoLargest(rows);
        return new int[] {c[0], c[1], r[0], r[1]};
    }

    private static int[] twoLargest(int[] counts) {
        int a = 0;
        for (int i = 0; i < counts.length; i++) {
            a = counts[i] > counts[a] ? i : a;
        }
        int b = a == 0 ? 1 : 0;
        for (int i = 0; i < counts.length; i++) {
            b = i != a && counts[i] > counts[b] ? i : b;
        }
        return new int[] {Math.min(a, b), Math.max(a, b)};
    }

    /** Centroid {x, y} of the pixels where red exceeds green and blue by 60 or more. */
    private static double[] redCentroid(BufferedImage img) {
        double sx = 0;
        double sy = 0;
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                Color c = new Color(img.getRGB(x, y));
                if (c.getRed() - Math.max(c.getGreen(), c.getBlue()) >= 60) {
                    sx += x;
                    sy += y;
                    n++;
                }
            }
        }
        assertTrue(n > 0, "no red pixel");
        return new double[] {sx / n, sy / n};
    }

    @Test
    void aPointLandsWhereItsRangeSaysInItsColour() {
        float[] xy = {1f, 2f};
        BufferedImage img = Plots.scatter("", List.of(new Plots.Points("p", xy, Color.RED)),
                new Plots.Range(-3, 3, -2, 4), 300, 240);
        assertEquals(300, img.getWidth());
        assertEquals(240, img.getHeight());
        int[] f = frame(img);
        double expectX = f[0] + (1 - -3) / 6.0 * (f[1] - f[0]);
        double expectY = f[3] - (2 - -2) / 6.0 * (f[3] - f[2]);
        double[] c = redCentroid(img);
        assertEquals(expectX, c[0], 0.6);
        assertEquals(expectY, c[1], 0.6);
        // The dot's centre pixel is the series colour at the dots' opacity, over white.
        Color centre = new Color(img.getRGB((int) Math.floor(c[0]), (int) Math.floor(c[1])));
        int alpha = Plots.dotAlpha(1);
        int expectG = Math.round(255 * (255 - alpha) / 255f);
        assertEquals(255, centre.getRed());
        assertEquals(expectG, centre.getGreen(), 1);
        assertEquals(expectG, centre.getBlue(), 1);
    }

    @Test
    void pointsOutsideAFixedRangeAreNotDrawn() {
        BufferedImage img = Plots.scatter("", List.of(new Plots.Points("p", new float[] {5f, 0f}, Color.RED)),
                Plots.Range.square(3), 200, 200);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                Color c = new Color(img.getRGB(x, y));
                assertTrue(c.getRed() - Math.max(c.getGreen(), c.getBlue()) < 60, "red at " + x + "," + y);
            }
        }
    }

    /** The row, in column x, of the pixels closest to {@code colour}. */
    private static double rowOf(BufferedImage img, int x, Color colour) {
        double sum = 0;
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            Color c = new Color(img.getRGB(x, y));
            int d = Math.abs(c.getRed() - colour.getRed()) + Math.abs(c.getGreen() - colour.getGreen())
                    + Math.abs(c.getBlue() - colour.getBlue());
            if (d < 60) {
                sum += y;
                n++;
            }
        }
        assertTrue(n > 0, "no pixel of " + colour + " in column " + x);
        return sum / n;
    }

    @Test
    void aLogAxisPutsDecadesEquallyApart() {
        double[] x = {0, 1};
        Color[] colours = {Color.RED, new Color(0, 160, 0), Color.BLUE};
        double[] levels = {10, 100, 1000};
        List<Plots.Line> lines = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lines.add(new Plots.Line("y=" + levels[i], x, new double[] {levels[i], levels[i]}, colours[i]));
        }
        BufferedImage img = Plots.lineChart("decades", "x", "y", lines, true, 640, 480);
        assertEquals(640, img.getWidth());
        assertEquals(480, img.getHeight());
        int column = img.getWidth() / 3; // away from the legend in the top right corner
        double r10 = rowOf(img, column, colours[0]);
        double r100 = rowOf(img, column, colours[1]);
        double r1000 = rowOf(img, column, colours[2]);
        assertTrue(r10 > r100 && r100 > r1000, r10 + " " + r100 + " " + r1000); // larger values higher up
        assertEquals(r10 - r100, r100 - r1000, 1.0);
        // On a linear axis the gap from 100 to 1000 is ten times the gap from 10 to 100.
        BufferedImage lin = Plots.lineChart("linear", "x", "y", lines, false, 640, 480);
        double l10 = rowOf(lin, column, colours[0]);
        double l100 = rowOf(lin, column, colours[1]);
        double l1000 = rowOf(lin, column, colours[2]);
        assertEquals(10.0, (l100 - l1000) / (l10 - l100), 0.3);
    }

    @Test
    void aRowOfPanelsHasOnePanelPerTitle() {
        float[] a = {0f, 0f, 1f, 1f};
        BufferedImage row = Plots.scatterRowSingle(List.of("a", "b", "c"), List.of(a, a, a), Plots.Range.square(2), 150);
        assertEquals(450, row.getWidth());
        assertEquals(150, row.getHeight());
    }

    @Test
    void ticksAreRoundAndLabelledWithTheirStepsDecimals() {
        Axis axis = new Axis(-0.13, 0.92, false, 0, 500);
        List<Axis.Tick> ticks = axis.ticks(5);
        assertEquals(List.of("0", "0.2", "0.4", "0.6", "0.8"), ticks.stream().map(Axis.Tick::label).toList());
        Axis log = new Axis(0.02, 3000, true, 400, 0);
        assertEquals(List.of("0.1", "1", "10", "100", "1000"),
                log.ticks(8).stream().map(Axis.Tick::label).toList());
        assertEquals(0.0, new Axis(1, 100, true, 0, 200).pixel(1), 1e-12);
        assertEquals(100.0, new Axis(1, 100, true, 0, 200).pixel(10), 1e-12);
    }
}
