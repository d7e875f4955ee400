package org.diffusion4j.cli;

import java.nio.file.Path;
import org.diffusion4j.UserException;
import org.diffusion4j.train.TimeBudget;
import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine.Option;

/**
 * The training-loop options every train command shares (DDPM and VAE): steps, batch, learning
 * rate, warm-up, clipping, EMA, seed, threads and how often to log, save and draw. A command
 * supplies its own defaults for the learning rate and clipping.
 */
public final class TrainOptions {
    @Option(names = "--steps", description = "Training steps (default 1000, 1500 for 2-D points; with --resume: the run's own target).")
    Long steps;

    @Option(names = "--minutes", paramLabel = "M", description = "A wall-clock budget instead of --steps: the run times "
            + "its first steps, then plans its step count and learning-rate decay so that it ends, annealed, M minutes after "
            + "the command started (the plan is saved with the run; --resume follows it). docs/fast-training.md")
    Double minutes;

    @Option(names = "--batch", description = "Batch size (default 64, 256 for 2-D points).")
    Integer batch;

    @Option(names = "--lr", description = "Adam learning rate (default: 2e-4 for train on images, 1e-3 for points and for vae train).")
    Double lr;

    @Option(names = "--warmup", description = "Linear learning-rate warm-up steps (default: min(1000, steps/10)); "
            + "with --init-from, counted from the step the new run starts at (default there: no new warm-up).")
    Long warmup;

    @Option(names = "--decay-from", paramLabel = "STEP", description = "From this step on, decay the learning rate linearly to 0 at --steps (default, or -1: no decay). "
            + "May be given on --resume while the decay has not begun (at or after the run's current step).")
    Long decayFrom;

    @Option(names = "--clip", description = "Clip gradients to this global norm; 0: off (default: 1.0 for train, 0 for vae train).")
    Double clip;

    @Option(names = "--ema", description = "EMA decay of the weights (default: 0.995 up to 10,000 steps, else 0.9999), warmed up as min(decay, (1+k)/(10+k)).")
    Double ema;

    @Option(names = "--seed", description = "Seed of initialisation, data order and noise (default: 0; with --init-from: the source run's).")
    Long seed;

    @Option(names = "--init-from", paramLabel = "RUN_DIR", description = "Start a new run (--out) from the full state of RUN_DIR's checkpoint "
            + "(weights, EMA, Adam moments, step counter, model and data) under a new schedule: --steps, --lr, --warmup, --decay-from, "
            + "--batch, --ema, ... replace the source's, the rest are kept. For training on after a run's decay has begun. "
            + "RUN_DIR may also be an exported model file: its EMA weights start both weights and EMA, Adam starts afresh.")
    Path initFrom;

    @Option(names = "--threads", converter = ThreadsConverter.class, description = "PyTorch intra-op threads (default: all cores; 1 for 2-D points, where more only costs); may be changed on --resume.")
    Integer threads;

    @Option(names = "--sample-every", description = "Steps between sample pictures (default: steps/5; 0: never).")
    Integer sampleEvery;

    static final int CHECKPOINT_EVERY = 500;
    static final int LOG_EVERY = 50;

    @Option(names = "--checkpoint-every", description = "Steps between checkpoints (default: " + CHECKPOINT_EVERY + ").")
    Integer checkpointEvery;

    @Option(names = "--keep-checkpoints", description = "Checkpoints the run folder keeps: the newest and the ones before it, "
            + "which --resume falls back to when the newest is damaged (default: 2).")
    Integer keepCheckpoints;

    @Option(names = "--log-every", description = "Steps between log lines when output is not a terminal (default: " + LOG_EVERY + ").")
    Integer logEvery;

    /** A command's own defaults for the options the user did not give. */
    public record Defaults(long steps, int batch, double lr, double clip, int threads) {
        /** Images and VAEs: 1000 steps of 64, all cores. */
        public static Defaults of(double lr, double clip) {
            return new Defaults(1000, 64, lr, clip, 0);
        }
    }

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec command;

    /** How a command with these options and its own --resume and --out continues a run. */
    ContinueOptions continuation(Path resume, Path out) {
        return new ContinueOptions(resume, initFrom, out, steps, threads, decayFrom, this::override, ContinueOptions.given(command));
    }

    /** The seed given, or 0. */
    public long seed() {
        return seed != null ? seed : 0;
    }

    /**
     * A source run's configuration with every option the user gave in its place (for --init-from,
     * the new run starting at step {@code start}). A --warmup given warms up from {@code start};
     * without it the source's schedule, warm-up included, carries on unchanged.
     */
    public TrainConfig override(TrainConfig base, long start) {
        TrainConfig.Builder b = base.toBuilder();
        if (logEvery != null) {
            b.logEvery(logEvery);
        }
        if (checkpointEvery != null) {
            b.checkpointEvery(checkpointEvery);
        }
        if (keepCheckpoints != null) {
            b.keepCheckpoints(keepCheckpoints);
        }
        if (steps != null) {
            b.steps(steps);
        }
        if (batch != null) {
            b.batchSize(batch);
        }
        if (lr != null) {
            b.lr(lr);
        }
        if (warmup != null) {
            b.warmupSteps(warmup).warmupFrom(start);
        }
        if (decayFrom != null) {
            b.lrDecayFrom(decayFrom);
        }
        if (clip != null) {
            b.gradClip(clip);
        }
        if (ema != null) {
            b.emaDecay(ema);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (threads != null) {
            b.threads(threads);
        }
        if (sampleEvery != null) {
            b.sampleEvery(sampleEvery);
        }
        return b.build();
    }

    /** Warm-up of a budgeted run (fixed before the plan, since the steps done keep their rates). */
    static final long BUDGET_WARMUP = 100;
    /** EMA decay of a budgeted run: it must be fixed before the step count is known. */
    static final double BUDGET_EMA = 0.999;

    /** The configuration of a new run, the command's defaults filling what was not given. */
    public TrainConfig build(Defaults d) {
        TimeBudget budget = budget();
        long total = budget != null ? TrainConfig.UNPLANNED_STEPS : steps == null ? d.steps() : steps;
        long warm = warmup != null ? warmup : budget != null ? BUDGET_WARMUP : Math.min(1000, total / 10);
        double emaDecay = ema != null ? ema : budget != null ? BUDGET_EMA : total <= 10_000 ? 0.995 : 0.9999;
        int pictures = sampleEvery != null ? sampleEvery : budget != null ? 0 : (int) Math.max(1, total / 5);
        return TrainConfig.builder().steps(total).batchSize(batch != null ? batch : d.batch()).lr(lr != null ? lr : d.lr())
                .warmupSteps(warm).lrDecayFrom(decayFrom != null ? decayFrom : -1)
                .gradClip(clip != null ? clip : d.clip()).emaDecay(emaDecay).seed(seed())
                .logEvery(logEvery != null ? logEvery : LOG_EVERY).checkpointEvery(checkpointEvery != null ? checkpointEvery : CHECKPOINT_EVERY)
                .sampleEvery(pictures).threads(threads != null ? threads : d.threads())
                .keepCheckpoints(keepCheckpoints != null ? keepCheckpoints : TrainConfig.builder().build().keepCheckpoints())
                .budget(budget).build();
    }

    private TimeBudget budget() {
        return budget(minutes, steps != null || decayFrom != null);
    }

    /** The --minutes budget, or null; refused beside the options it plans itself (--steps, --decay-from). */
    static TimeBudget budget(Double minutes, boolean stepsGiven) {
        if (minutes == null) {
            return null;
        }
        if (stepsGiven) {
            throw new UserException("--minutes plans the step count and the learning-rate decay itself; give either "
                    + "--minutes or --steps (with --decay-from), not both");
        }
        if (!(minutes > 0 && minutes <= 366 * 24 * 60)) {
            throw new UserException("--minutes must be more than 0 and at most a year, got " + minutes);
        }
        return TimeBudget.minutes(minutes);
    }


}
