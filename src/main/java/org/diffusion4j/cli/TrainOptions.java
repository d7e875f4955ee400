package org.diffusion4j.cli;

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

    @Option(names = "--batch", description = "Batch size (default 64, 256 for 2-D points).")
    Integer batch;

    @Option(names = "--lr", description = "Adam learning rate (default: 2e-4 for train on images, 1e-3 for points and for vae train).")
    Double lr;

    @Option(names = "--warmup", description = "Linear learning-rate warm-up steps (default: min(1000, steps/10)).")
    Long warmup;

    @Option(names = "--decay-from", paramLabel = "STEP", description = "From this step on, decay the learning rate linearly to 0 at --steps (default, or -1: no decay). "
            + "May be given on --resume while the decay has not begun (at or after the run's current step).")
    Long decayFrom;

    @Option(names = "--clip", description = "Clip gradients to this global norm; 0: off (default: 1.0 for train, 0 for vae train).")
    Double clip;

    @Option(names = "--ema", description = "EMA decay of the weights (default: 0.995 up to 10,000 steps, else 0.9999), warmed up as min(decay, (1+k)/(10+k)).")
    Double ema;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, data order and noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: all cores; 1 for 2-D points, where more only costs); may be changed on --resume.")
    Integer threads;

    @Option(names = "--sample-every", description = "Steps between sample pictures (default: steps/5; 0: never).")
    Integer sampleEvery;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--log-every", defaultValue = "50", description = "Steps between log lines when output is not a terminal (default: ${DEFAULT-VALUE}).")
    int logEvery;

    /** A command's own defaults for the options the user did not give. */
    public record Defaults(long steps, int batch, double lr, double clip, int threads) {
        /** Images and VAEs: 1000 steps of 64, all cores. */
        public static Defaults of(double lr, double clip) {
            return new Defaults(1000, 64, lr, clip, 0);
        }
    }

    /** The configuration of a new run, the command's defaults filling what was not given. */
    public TrainConfig build(Defaults d) {
        long total = steps == null ? d.steps() : steps;
        return TrainConfig.builder().steps(total).batchSize(batch != null ? batch : d.batch()).lr(lr != null ? lr : d.lr())
                .warmupSteps(warmup != null ? warmup : Math.min(1000, total / 10))
                .lrDecayFrom(decayFrom != null ? decayFrom : -1)
                .gradClip(clip != null ? clip : d.clip())
                .emaDecay(ema != null ? ema : (total <= 10_000 ? 0.995 : 0.9999)).seed(seed)
                .logEvery(logEvery).checkpointEvery(checkpointEvery)
                .sampleEvery(sampleEvery != null ? sampleEvery : (int) Math.max(1, total / 5)).threads(threads != null ? threads : d.threads()).build();
    }
}
