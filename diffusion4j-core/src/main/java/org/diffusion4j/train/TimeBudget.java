package org.diffusion4j.train;

import java.util.Locale;
import org.diffusion4j.InvalidArgumentException;

/**
 * A wall-clock budget for a training run: "train for M minutes and end annealed". The run first
 * trains {@code probeSteps} steps (under the warm-up's rates, which do not depend on the step
 * count), measures its speed, then {@link #plan} fixes once and for all the step count, the start
 * of the learning rate's linear decay to 0, and the picture interval, so that the run ends, decay
 * included, when the budget is spent. The plan is stored in the run's configuration (config.json
 * and every checkpoint), so a resumed run or a replay trains exactly the same steps at the same
 * rates; only the planning itself depends on the machine's speed.
 *
 * @param seconds the whole budget, counted from the start of the process (loading included)
 * @param probeSteps steps timed before planning (the first few of the process are not counted:
 *     the allocator and the kernels warm up)
 * @param decayFraction the share of the planned steps over which the learning rate decays to 0
 * @param pictures progress pictures over the run (the last at the end); 0: none
 * @param plan what was planned, or null before planning
 */
public record TimeBudget(double seconds, int probeSteps, double decayFraction, int pictures, Plan plan) {
    /** Steps timed before the plan. */
    public static final int DEFAULT_PROBE_STEPS = 30;
    /** Steps of a process not counted in the probe: the first are slow (allocator, JIT, kernel selection). */
    public static final int UNTIMED_STEPS = 5;
    /**
     * The decay's share of the run. Short runs profit from a long linear cool-down
     * ("warm-up, stable, decay" schedules decay over 10-30%; docs/fast-training.md has the measurements).
     */
    public static final double DEFAULT_DECAY_FRACTION = 0.3;
    public static final int DEFAULT_PICTURES = 5;

    public TimeBudget {
        require(Double.isFinite(seconds) && seconds > 0 && seconds <= 366 * 86400.0, "budgetSeconds", seconds,
                "must be more than 0 and at most a year");
        require(probeSteps >= 2 && probeSteps <= 100_000, "probeSteps", probeSteps, "must be in 2..100000");
        require(decayFraction > 0 && decayFraction <= 1, "decayFraction", decayFraction, "must be in (0, 1]");
        require(pictures >= 0 && pictures <= 1000, "pictures", pictures, "must be in 0..1000");
    }

    /** A budget of {@code minutes} with the default probe, decay share and pictures, not yet planned. */
    public static TimeBudget minutes(double minutes) {
        return new TimeBudget(minutes * 60, DEFAULT_PROBE_STEPS, DEFAULT_DECAY_FRACTION, DEFAULT_PICTURES, null);
    }

    public boolean planned() {
        return plan != null;
    }

    /** The step after which the plan is made in a process that starts (or resumes) at {@code start}. */
    public long planStep(long start) {
        return start + UNTIMED_STEPS + probeSteps;
    }

    /**
     * What was measured when the plan was made.
     *
     * @param done steps trained when planning
     * @param elapsedSeconds wall time since the budget's start
     * @param secondsPerStep the median wall time of one probe step (listeners included)
     * @param checkpointSeconds the time to write one checkpoint
     * @param pictureSeconds the time to draw one progress picture (0 without pictures)
     */
    public record Measured(long done, double elapsedSeconds, double secondsPerStep, double checkpointSeconds,
            double pictureSeconds) {}

    /**
     * The plan: train to {@code steps}, decaying the rate linearly to 0 from {@code decayFrom} (-1: no
     * decay, when the warm-up would not end in time), a picture every {@code sampleEvery} steps.
     */
    public record Plan(long steps, long decayFrom, int sampleEvery, Measured measured) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d steps (%.3f s each, measured over the first steps), decay from step %d",
                    steps, measured.secondsPerStep(), decayFrom);
        }
    }

    /**
     * Plans the rest of the run from what was measured: the largest step count whose steps, the
     * checkpoints every {@code checkpointEvery} steps and at the end, the pictures, and a reserve
     * of 1% (at least 2 s) fit in what is left of the budget; at least one more step. A pure
     * function: the same measurements give the same plan.
     *
     * @param sampleEvery the picture interval the user chose, or 0 to spread {@link #pictures} over the run
     * @param warmupEnd the first step after the warm-up (the decay cannot start before it)
     */
    public Plan plan(Measured m, int checkpointEvery, int sampleEvery, long warmupEnd) {
        double left = seconds - m.elapsedSeconds() - Math.max(2.0, 0.01 * seconds);
        long hi = Math.max(0, (long) Math.floor(left / m.secondsPerStep()));
        long lo = 0;
        while (lo < hi) { // the largest n whose cost fits (the cost grows with n)
            long mid = lo + (hi - lo + 1) / 2;
            if (cost(m, mid, checkpointEvery, sampleEvery) <= left) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        long steps = m.done() + Math.max(1, lo);
        long decayLength = Math.round(decayFraction * steps);
        long decayFrom = Math.max(steps - decayLength, Math.max(m.done(), warmupEnd));
        return new Plan(steps, decayFrom < steps ? decayFrom : -1, pictureInterval(steps, sampleEvery), m);
    }

    private double cost(Measured m, long n, int checkpointEvery, int sampleEvery) {
        long steps = m.done() + n;
        int every = pictureInterval(steps, sampleEvery);
        return n * m.secondsPerStep() + events(m.done(), steps, checkpointEvery) * m.checkpointSeconds()
                + (every > 0 ? events(m.done(), steps, every) * m.pictureSeconds() : 0);
    }

    private int pictureInterval(long steps, int sampleEvery) {
        if (sampleEvery > 0 || pictures == 0) {
            return sampleEvery;
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, steps / pictures));
    }

    /** Events at the multiples of {@code every} in (done, steps], plus one at the end. */
    static long events(long done, long steps, long every) {
        return steps / every - done / every + (steps % every != 0 ? 1 : 0);
    }

    /** This budget with its plan. */
    public TimeBudget withPlan(Plan p) {
        return new TimeBudget(seconds, probeSteps, decayFraction, pictures, p);
    }

    private static void require(boolean ok, String argument, Object value, String problem) {
        if (!ok) {
            throw new InvalidArgumentException(argument, value, problem);
        }
    }
}
