package org.diffusion4j.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of long work: a live bar (step, it/s, ETA, an extra message such as the loss) on a
 * terminal; plain periodic lines (for logs and CI) when the output is not a terminal. Silent if
 * asked to be.
 */
public final class Progress implements AutoCloseable {
    /** How progress is shown. */
    public enum Mode { AUTO, BAR, LINES, QUIET }

    private final String task;
    private final long start;
    private long total;
    private final int lineEvery;
    private final PrintStream out;
    private final ProgressBar bar;
    private final boolean lines;
    private final long t0 = System.nanoTime();
    private long current;
    private long lastPrinted;
    private long lastPrintedNanos = t0;
    private double recentRate;
    private String extra = "";

    public Progress(String task, long start, long total, Mode mode, int lineEvery) {
        this.task = task;
        this.start = start;
        this.total = total;
        this.lineEvery = Math.max(1, lineEvery);
        this.out = System.err;
        this.current = start;
        this.lastPrinted = start;
        Mode m = mode == Mode.AUTO ? (System.console() != null ? Mode.BAR : Mode.LINES) : mode;
        this.lines = m == Mode.LINES;
        this.bar = m == Mode.BAR
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                        .startsFrom(start, Duration.ZERO).setStyle(ProgressBarStyle.ASCII)
                        .showSpeed().setUpdateIntervalMillis(250).build()
                : null;
    }

    /** Sets a new total (negative: not known yet, as in a budgeted run before its plan). */
    public void retarget(long newTotal) {
        total = newTotal;
        if (bar != null) {
            bar.maxHint(newTotal);
        }
    }

    /** Marks {@code now} units done, with an extra message (e.g. "loss 0.031"). */
    public void update(long now, String message) {
        current = now;
        extra = message == null ? "" : message;
        if (bar != null) {
            bar.stepTo(now);
            bar.setExtraMessage(extra);
        } else if (lines && (now - lastPrinted >= lineEvery || (total >= 0 && now >= total))) {
            noteInterval(now, System.nanoTime());
            out.println(line());
        }
    }

    /** Units per second since this progress started. */
    public double rate() {
        double s = (System.nanoTime() - t0) / 1e9;
        return s > 0 ? (current - start) / s : 0;
    }

    /**
     * Units per second over the recent line intervals (an exponential average, weight 0.3 on the
     * newest), so that a pause (a suspended process, a busy machine) stops counting once it is
     * over; the rate since the start until the first interval.
     */
    public double recentRate() {
        return recentRate > 0 ? recentRate : rate();
    }

    /** Records that {@code now} units were done at time {@code t} (nanoseconds). */
    void noteInterval(long now, long t) {
        double s = (t - lastPrintedNanos) / 1e9;
        if (s > 0 && now > lastPrinted) {
            double r = (now - lastPrinted) / s;
            recentRate = recentRate > 0 ? 0.7 * recentRate + 0.3 * r : r;
        }
        lastPrinted = now;
        lastPrintedNanos = t;
    }

    private String line() {
        double r = recentRate();
        long eta = r > 0 && total >= 0 ? Math.round((total - current) / r) : -1;
        return String.format(Locale.ROOT, "%s %d/%s %s %.2f it/s ETA %s", task, current, total >= 0 ? total : "?",
                extra, r, eta < 0 ? "?" : formatDuration(eta));
    }

    public static String formatDuration(long seconds) {
        return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        } else if (lines && lastPrinted != current) {
            out.println(line());
        }
    }
}
