package org.diffusion4j.train;

import com.google.gson.Gson;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.nn.Precision;

/**
 * Hyper-parameters of the training loop (not of the model), serialised into config.json and
 * every checkpoint. Build one with {@link #builder()} (the defaults) and validate with its
 * {@code build()}; the canonical constructor checks the same rules.
 *
 * @param steps the step the run trains to
 * @param batchSize rows per step
 * @param lr Adam's learning rate (argument name "learningRate" in messages)
 * @param warmupSteps steps of linear warm-up
 * @param warmupFrom step the warm-up starts from: 0, or the step a branched run starts at
 * @param lrDecayFrom step at which the rate starts its linear decay to 0 at steps; -1: none
 * @param gradClip global gradient norm to clip to; 0: off
 * @param emaDecay decay of the weights' exponential moving average
 * @param seed seed of every random number of a step (with the step)
 * @param logEvery steps between memory readings (and progress lines)
 * @param checkpointEvery steps between checkpoints (save points)
 * @param sampleEvery steps between sample pictures; 0: never
 * @param threads PyTorch intra-op threads; 0: leave as is
 * @param precision "fp32" or "fp16": what the network computes in (master weights stay float32)
 * @param keepCheckpoints how many checkpoints a run folder keeps (the newest and the ones before
 *     it, to fall back to when the newest is damaged)
 * @param budget a wall-clock budget ({@link TimeBudget}) whose plan, once made, sets steps, lrDecayFrom
 *     and sampleEvery; null: none (steps as given). Before the plan, steps is {@link #UNPLANNED_STEPS}.
 */
public record TrainConfig(long steps, int batchSize, double lr, long warmupSteps, long warmupFrom, long lrDecayFrom,
        double gradClip, double emaDecay, long seed, int logEvery, int checkpointEvery, int sampleEvery, int threads,
        String precision, int keepCheckpoints, TimeBudget budget) {
    /** The step target of a budgeted run before its plan: never reached (the plan comes first). */
    public static final long UNPLANNED_STEPS = Long.MAX_VALUE / 4;

    public TrainConfig {
        require(steps >= 1, "steps", steps, "must be at least 1");
        require(batchSize >= 1 && batchSize <= 65536, "batchSize", batchSize, "must be in 1..65536");
        require(lr > 0 && lr < 1, "learningRate", lr, "must be in (0, 1)");
        require(warmupSteps >= 0, "warmup", warmupSteps, "must be >= 0");
        require(warmupFrom >= 0, "warmupFrom", warmupFrom, "must be >= 0");
        require(lrDecayFrom == -1 || (lrDecayFrom >= warmupFrom + warmupSteps && lrDecayFrom < steps), "lrDecayFrom",
                lrDecayFrom, "must lie between the warm-up's end (" + (warmupFrom + warmupSteps) + ") and steps (" + steps + ")");
        require(gradClip >= 0, "gradClip", gradClip, "must be >= 0 (0 turns clipping off)");
        require(emaDecay >= 0 && emaDecay < 1, "emaDecay", emaDecay, "must be in [0, 1)");
        require(logEvery >= 1, "logEvery", logEvery, "must be >= 1");
        require(checkpointEvery >= 1, "checkpointEvery", checkpointEvery, "must be >= 1");
        require(sampleEvery >= 0, "sampleEvery", sampleEvery, "must be >= 0 (0: never)");
        require(threads >= 0, "threads", threads, "must be >= 0 (0: all cores)");
        require(keepCheckpoints >= 1 && keepCheckpoints <= 100, "keepCheckpoints", keepCheckpoints, "must be in 1..100");
        // configs written before the option existed have none
        precision = Precision.parse(precision == null ? "fp32" : precision).label();
    }

    private static void require(boolean ok, String argument, Object value, String problem) {
        if (!ok) {
            throw new InvalidArgumentException(argument, value, problem);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().steps(steps).batchSize(batchSize).lr(lr).warmupSteps(warmupSteps).warmupFrom(warmupFrom)
                .lrDecayFrom(lrDecayFrom).gradClip(gradClip).emaDecay(emaDecay).seed(seed).logEvery(logEvery)
                .checkpointEvery(checkpointEvery).sampleEvery(sampleEvery).threads(threads).precision(precision)
                .keepCheckpoints(keepCheckpoints).budget(budget);
    }

    /** True while a budgeted run has not planned its steps yet. */
    public boolean awaitingPlan() {
        return budget != null && !budget.planned();
    }

    /** This configuration with a budget's plan in place: its steps, decay start and picture interval. */
    public TrainConfig withPlan(TimeBudget.Plan p) {
        return toBuilder().steps(p.steps()).lrDecayFrom(p.decayFrom()).sampleEvery(p.sampleEvery())
                .budget(budget.withPlan(p)).build();
    }

    /**
     * Learning rate at 0-based step: linear warm-up to lr over the warmupSteps from warmupFrom, constant, then (if
     * lrDecayFrom >= 0) linear decay from lr at lrDecayFrom towards 0 at steps
     * ("warm-up, stable, decay"; the decay is what lets the weights settle at the end).
     */
    public double learningRate(long step) {
        if (warmupSteps > 0 && step >= warmupFrom && step < warmupEnd()) {
            return lr * (step - warmupFrom + 1) / warmupSteps;
        }
        if (lrDecayFrom >= 0 && step >= lrDecayFrom) {
            return lr * (steps - step) / (double) (steps - lrDecayFrom);
        }
        return lr;
    }

    /** The first step after the warm-up. */
    public long warmupEnd() {
        return warmupFrom + warmupSteps;
    }

    /** True when step {@code done} has already trained under the decay, so the step target can no longer move. */
    public boolean decayStartedBefore(long done) {
        return lrDecayFrom >= 0 && lrDecayFrom < done;
    }

    public Precision precisionValue() {
        return Precision.parse(precision);
    }

    /** The JSON object of config.json's "train" (the builder's fields: the format files have always had). */
    public String toJson() {
        return new Gson().toJson(toBuilder());
    }

    /** Reads {@link #toJson()}'s format; fields missing in older files take the builder's defaults. */
    public static TrainConfig fromJson(String json) {
        return new Gson().fromJson(json, Builder.class).build();
    }

    /** Builder with the DDPM paper's defaults where they apply; its fields are the JSON format. */
    public static final class Builder {
        private long steps = 1000;
        private int batchSize = 64;
        private double lr = 2e-4;
        private long warmupSteps = 0;
        private long warmupFrom = 0; // absent from configs written before the option: 0
        private long lrDecayFrom = -1;
        private double gradClip = 1.0;
        private double emaDecay = 0.9999;
        private long seed = 0;
        private int logEvery = 10;
        private int checkpointEvery = 500;
        private int sampleEvery = 500;
        private int threads = 0;
        private String precision = "fp32";
        private int keepCheckpoints = 2; // absent from configs written before the option: 2
        private TimeBudget budget = null; // absent from configs of runs without a budget

        public Builder steps(long v) { steps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder warmupSteps(long v) { warmupSteps = v; return this; }
        /** The step the warm-up starts from (a run branched from another's state starts mid-way). */
        public Builder warmupFrom(long v) { warmupFrom = v; return this; }
        /** Linear decay of the learning rate to 0 at steps, from this step; -1: none. */
        public Builder lrDecayFrom(long v) { lrDecayFrom = v; return this; }
        public Builder gradClip(double v) { gradClip = v; return this; }
        public Builder emaDecay(double v) { emaDecay = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder logEvery(int v) { logEvery = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder sampleEvery(int v) { sampleEvery = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        public Builder precision(String v) { precision = v; return this; }
        /** Checkpoints a run folder keeps: the newest and keepCheckpoints - 1 older ones. */
        public Builder keepCheckpoints(int v) { keepCheckpoints = v; return this; }
        /** A wall-clock budget; its plan (once made) sets steps, lrDecayFrom and sampleEvery. */
        public Builder budget(TimeBudget v) { budget = v; return this; }

        public TrainConfig build() {
            return new TrainConfig(steps, batchSize, lr, warmupSteps, warmupFrom, lrDecayFrom, gradClip, emaDecay, seed,
                    logEvery, checkpointEvery, sampleEvery, threads, precision, keepCheckpoints, budget);
        }
    }
}
