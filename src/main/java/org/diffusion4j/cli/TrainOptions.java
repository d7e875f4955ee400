package org.diffusion4j.cli;

import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine.Option;

/**
 * The training-loop options every train command shares (DDPM and VAE): steps, batch, learning
 * rate, warm-up, clipping, EMA, seed, threads and how often to log, save and draw. A command
 * supplies its own defaults for the learning rate and clipping.
 */
public final class TrainOptions {
    @Option(names = "--steps", description = "Training steps (default 1000; with --resume: the run's own target).")
    Long steps;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", description = "Adam learning rate (default: 2e-4 for train, 1e-3 for vae train).")
    Double lr;

    @Option(names = "--warmup", description = "Linear learning-rate warm-up steps (default: min(1000, steps/10)).")
    Long warmup;

    @Option(names = "--clip", description = "Clip gradients to this global norm; 0: off (default: 1.0 for train, 0 for vae train).")
    Double clip;

    @Option(names = "--ema", description = "EMA decay of the weights (default: 0.995 up to 10,000 steps, else 0.9999), warmed up as min(decay, (1+k)/(10+k)).")
    Double ema;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, data order and noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: all cores); may be changed on --resume.")
    Integer threads;

    @Option(names = "--sample-every", description = "Steps between sample pictures (default: steps/5; 0: never).")
    Integer sampleEvery;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--log-every", defaultValue = "50", description = "Steps between log lines when output is not a terminal (default: ${DEFAULT-VALUE}).")
    int logEvery;

    /** The configuration of a new run; {@code defaultLr} and {@code defaultClip} are the command's own. */
    public TrainConfig build(double defaultLr, double defaultClip) {
        long total = steps == null ? 1000 : steps;
        return TrainConfig.builder().steps(total).batchSize(batch).lr(lr != null ? lr : defaultLr)
                .warmupSteps(warmup != null ? warmup : Math.min(1000, total / 10))
                .gradClip(clip != null ? clip : defaultClip)
                .emaDecay(ema != null ? ema : (total <= 10_000 ? 0.995 : 0.9999)).seed(seed)
                .logEvery(logEvery).checkpointEvery(checkpointEvery)
                .sampleEvery(sampleEvery != null ? sampleEvery : (int) Math.max(1, total / 5)).threads(threads != null ? threads : 0).build();
    }
}
