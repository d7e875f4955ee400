package org.diffusion4j.io;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One axis of a chart: a data range mapped linearly (or linearly in log10) onto a pixel span,
 * with round tick values (1, 2 or 5 times a power of ten; whole decades on a log axis).
 */
final class Axis {
    private final double lo;
    private final double hi;
    private final boolean log;
    private final double fromPixel;
    private final double toPixel;

    /** Maps {@code min} to {@code fromPixel} and {@code max} to {@code toPixel}; a log axis needs 0 &lt; min. */
    Axis(double min, double max, boolean log, double fromPixel, double toPixel) {
        this.lo = log ? Math.log10(min) : min;
        this.hi = log ? Math.log10(max) : max;
        this.log = log;
        this.fromPixel = fromPixel;
        this.toPixel = toPixel;
    }

    double pixel(double value) {
        double v = log ? Math.log10(value) : value;
        return fromPixel + (v - lo) / (hi - lo) * (toPixel - fromPixel);
    }

    /**
     * The range of the values (finite ones, positive ones on a log axis) padded by 5% on each
     * side (in log10 on a log axis); [0, 1] when there are none, a unit around a single value.
     */
    static double[] autoRange(double[] values, boolean log) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (Double.isFinite(v) && (!log || v > 0)) {
                double w = log ? Math.log10(v) : v;
                min = Math.min(min, w);
                max = Math.max(max, w);
            }
        }
        if (min > max) {
            return log ? new double[] {1, 10} : new double[] {0, 1};
        }
        double pad = max > min ? 0.05 * (max - min) : 0.5;
        min -= pad;
        max += pad;
        return log ? new double[] {Math.pow(10, min), Math.pow(10, max)} : new double[] {min, max};
    }

    /** A tick: its value and its label. */
    record Tick(double value, String label) {}

    /** At most about {@code maxTicks} round values inside the range, in increasing order. */
    List<Tick> ticks(int maxTicks) {
        if (log) {
            List<Tick> decades = logTicks(maxTicks);
            if (decades.size() >= 2) {
                return decades;
            }
        }
        double min = log ? Math.pow(10, lo) : lo;
        double max = log ? Math.pow(10, hi) : hi;
        // The finest round step that leaves at most maxTicks ticks.
        double step = niceStep((max - min) / (2.0 * Math.max(1, maxTicks)));
        while (Math.floor(max / step + 1e-9) - Math.ceil(min / step - 1e-9) + 1 > Math.max(2, maxTicks)) {
            step = niceStep(step * 1.01);
        }
        List<Tick> out = new ArrayList<>();
        for (long k = (long) Math.ceil(min / step - 1e-9); k * step <= max + 1e-9 * step; k++) {
            out.add(new Tick(k * step, label(k * step, step)));
        }
        return out;
    }

    /** Whole decades, thinned to at most maxTicks; 2 and 5 times each decade too when under three decades. */
    private List<Tick> logTicks(int maxTicks) {
        int first = (int) Math.ceil(lo - 1e-9);
        int last = (int) Math.floor(hi + 1e-9);
        int count = last - first + 1;
        List<Tick> out = new ArrayList<>();
        if (count >= 3) {
            int stride = (count + maxTicks - 1) / Math.max(1, maxTicks);
            for (int e = first; e <= last; e += stride) {
                out.add(new Tick(Math.pow(10, e), label(Math.pow(10, e))));
            }
            return out;
        }
        for (int e = first - 1; e <= last; e++) {
            for (double m : new double[] {1, 2, 5}) {
                double v = m * Math.pow(10, e);
                double l = Math.log10(v);
                if (l >= lo - 1e-9 && l <= hi + 1e-9) {
                    out.add(new Tick(v, label(v)));
                }
            }
        }
        return out;
    }

    /** The smallest of 1, 2, 5 times a power of ten that is at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0) || !Double.isFinite(raw)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= raw * (1 - 1e-9)) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** A multiple of {@code step} as text, with as many decimals as the step has. */
    static String label(double v, double step) {
        if (Math.abs(v) < 1e-9 * step) {
            return "0";
        }
        if (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4) {
            return label(v);
        }
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
    }

    /** A value as text with three significant digits at most, plain unless very large or small. */
    static String label(double v) {
        double a = Math.abs(v);
        if (a >= 1e6 || a < 1e-4) {
            return String.format(Locale.ROOT, "%.2g", v).replace("e+0", "e").replace("e+", "e").replace("e-0", "e-");
        }
        return new BigDecimal(v).round(new MathContext(3, RoundingMode.HALF_EVEN)).stripTrailingZeros()
                .toPlainString();
    }
}
