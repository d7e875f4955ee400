package org.diffusion4j.train;

import com.google.gson.Gson;
import org.diffusion4j.nn.Precision;

/**
 * Immutable hyper-parameters of the training loop (not of the model). Serialised into
 * config.json and every checkpoint.
 */
public final class TrainConfig {
    public final long steps;
    public final int batchSize;
    public final double lr;
    public final long warmupSteps;
    /** Step the warm-up starts from: 0, or the step a run made with --init-from starts at. */
    public final long warmupFrom;
    /** Step at which the learning rate starts its linear decay to 0 at {@link #steps}; -1: no decay. */
    public final long lrDecayFrom;
    public final double gradClip;
    public final double emaDecay;
    public final long seed;
    public final int logEvery;
    public final int checkpointEvery;
    public final int sampleEvery;
    public final int threads;
    /** "fp32" or "fp16": the precision the network computes in (master weights stay float32). */
    public final String precision;

    private TrainConfig(Builder b) {
        steps = b.steps;
        batchSize = b.batchSize;
        lr = b.lr;
        warmupSteps = b.warmupSteps;
        warmupFrom = b.warmupFrom;
        lrDecayFrom = b.lrDecayFrom;
        gradClip = b.gradClip;
        emaDecay = b.emaDecay;
        seed = b.seed;
        logEvery = b.logEvery;
        checkpointEvery = b.checkpointEvery;
        sampleEvery = b.sampleEvery;
        threads = b.threads;
        precision = b.precision;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.batchSize = batchSize;
        b.lr = lr;
        b.warmupSteps = warmupSteps;
        b.warmupFrom = warmupFrom;
        b.lrDecayFrom = lrDecayFrom;
        b.gradClip = gradClip;
        b.emaDecay = emaDecay;
        b.seed = seed;
        b.logEvery = logEvery;
        b.checkpointEvery = checkpointEvery;
        b.sampleEvery = sampleEvery;
        b.threads = threads;
        b.precision = precision;
        return b;
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

    public String toJson() {
        return new Gson().toJson(this);
    }

    public static TrainConfig fromJson(String json) {
        return new Gson().fromJson(json, Builder.class).build();
    }

    /** Builder with the DDPM paper's defaults where they apply. */
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

        public TrainConfig build() {
            require(steps >= 1, "--steps must be at least 1, got " + steps);
            require(batchSize >= 1 && batchSize <= 65536, "--batch must be in 1..65536, got " + batchSize);
            require(lr > 0 && lr < 1, "--lr must be in (0, 1), got " + lr);
            require(warmupSteps >= 0, "--warmup must be >= 0, got " + warmupSteps);
            require(warmupFrom >= 0, "the warm-up's start must be >= 0, got " + warmupFrom);
            require(lrDecayFrom == -1 || (lrDecayFrom >= warmupFrom + warmupSteps && lrDecayFrom < steps),
                    "--decay-from must lie between the warm-up's end (" + (warmupFrom + warmupSteps) + ") and --steps (" + steps + "), got " + lrDecayFrom);
            require(gradClip >= 0, "--clip must be >= 0 (0 turns clipping off), got " + gradClip);
            require(emaDecay >= 0 && emaDecay < 1, "--ema must be in [0, 1), got " + emaDecay);
            require(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
            require(checkpointEvery >= 1, "--checkpoint-every must be >= 1, got " + checkpointEvery);
            require(sampleEvery >= 0, "--sample-every must be >= 0 (0: never), got " + sampleEvery);
            require(threads >= 0, "--threads must be >= 0 (0: all cores), got " + threads);
            if (precision == null) { // configs written before the option existed
                precision = "fp32";
            }
            precision = Precision.parse(precision).label();
            return new TrainConfig(this);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new org.diffusion4j.UserException(message);
            }
        }
    }
}
