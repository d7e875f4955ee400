package org.diffusion4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Makes a budgeted run's plan ({@link TimeBudget}): times the probe steps (the median wall time
 * between steps, listeners included, after the process's first few), one checkpoint and one
 * progress picture, then fixes the run's step count, decay and picture interval by
 * {@link TimeBudget#plan} and saves the plan with the run (a checkpoint and config.json), so a
 * stop after this point resumes the planned run. Does nothing in a run whose plan is made.
 */
public final class BudgetListener implements TrainingListener {
    private final RunFolder folder;
    private final LongSupplier clock;
    private final long originNanos;
    private final List<Double> intervals = new ArrayList<>();
    private long start = -1;
    private long previous;

    /**
     * @param folder the run folder (its checkpoint, config.json and pictures), or null for a run without one
     * @param clock nanoseconds, as {@link System#nanoTime()}
     * @param originNanos when the budget started, on {@code clock}'s scale
     */
    public BudgetListener(RunFolder folder, LongSupplier clock, long originNanos) {
        this.folder = folder;
        this.clock = clock;
        this.originNanos = originNanos;
    }

    @Override
    public void onStart(Trainer t) {
        start = t.step();
        previous = clock.getAsLong();
    }

    @Override
    public void onStep(Trainer t, StepRecord r) {
        TrainConfig c = t.config();
        if (!c.awaitingPlan() || t.finishing()) {
            return; // planned already, or stopping: a resumed run plans in its own process
        }
        long now = clock.getAsLong();
        if (t.step() > start + TimeBudget.UNTIMED_STEPS) {
            intervals.add((now - previous) / 1e9);
        }
        previous = now;
        if (t.step() < c.budget().planStep(start)) {
            return;
        }
        double checkpointSeconds = timed(() -> save(t));
        boolean pictures = folder != null && (c.sampleEvery() > 0 || c.budget().pictures() > 0);
        double pictureSeconds = pictures ? timed(() -> SampleListener.snapshot(t, folder.dir())) : 0;
        double elapsed = (clock.getAsLong() - originNanos) / 1e9;
        TimeBudget.Measured m = new TimeBudget.Measured(t.step(), elapsed, median(intervals), checkpointSeconds,
                pictureSeconds);
        t.applyPlan(c.budget().plan(m, c.checkpointEvery(), c.sampleEvery(), c.warmupEnd()));
        save(t); // the planned configuration, so that a stop from here on resumes the plan
        previous = clock.getAsLong();
    }

    private void save(Trainer t) {
        if (folder != null) {
            CheckpointListener.save(t, folder.checkpoint(), t.config().keepCheckpoints());
            folder.writeConfig(t.header());
        }
    }

    private double timed(Runnable r) {
        long t0 = clock.getAsLong();
        r.run();
        return (clock.getAsLong() - t0) / 1e9;
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }
}
