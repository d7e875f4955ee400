package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.nn.MlpDenoiser;
import org.diffusion4j.pipeline.Ddpm;
import org.diffusion4j.pipeline.DdpmSpec;
import org.diffusion4j.pipeline.DdpmTask;
import org.diffusion4j.pipeline.Pictures;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains a DDPM noise predictor by Algorithm 1 into a run folder, or resumes one. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a DDPM (Algorithm 1) into a run folder: config.json, metrics.jsonl, loss.png, "
            + "samples/step-*.png (EMA weights, fixed seed) and checkpoint.bin.",
            "Images get the U-Net of unet.md; 2-D points (toy:*, .csv) get an MLP denoiser (4 x 128, SiLU).",
            "Defaults for points (learns toy:moons in about 10 s): T 100, betas 1e-3..0.2, 1500 steps, batch 256, "
                + "lr 1e-3, 1 thread (the network is too small for threads to pay).",
            "Ctrl-C stops after the current step and saves a checkpoint; --resume continues exactly.",
            "Example: diffusion4j train --preset tiny --steps 300 --out runs/tiny",
            "         diffusion4j train --resume runs/tiny --steps 400",
            "         diffusion4j train --data toy:moons --out runs/moons"})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--out", description = "Run folder to create (default: runs/<data>-<preset>).")
    Path out;

    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR (its model, data and settings; --steps may raise the target).")
    Path resume;

    @Mixin
    DataOptions data;

    @Mixin
    UNetOptions unet;

    @Mixin
    ScheduleOptions schedule;

    @Option(names = "--loss", defaultValue = "l2", description = "l2 (default) or l1: the loss of Algorithm 1.")
    String loss;

    @Option(names = "--steps", description = "Training steps (default 1000 for images, 1500 for points; with --resume: the run's own target).")
    Long steps;

    @Option(names = "--batch", description = "Batch size (default: 64 for images, 256 for points).")
    Integer batch;

    @Option(names = "--lr", description = "Adam learning rate (default: 2e-4 for images, 1e-3 for points).")
    Double lr;

    @Option(names = "--warmup", description = "Linear learning-rate warm-up steps (default: min(1000, steps/10)).")
    Long warmup;

    @Option(names = "--clip", defaultValue = "1.0", description = "Clip gradients to this global norm; 0: off (default: ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--ema", description = "EMA decay of the weights (default: 0.995 up to 10,000 steps, else 0.9999), warmed up as min(decay, (1+k)/(10+k)).")
    Double ema;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, data order and noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "PyTorch intra-op threads; 0: all cores (default: all cores for images, 1 for points).")
    Integer threads;

    @Option(names = "--sample-every", description = "Steps between sample pictures (default: steps/5; 0: only at the end).")
    Integer sampleEvery;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--log-every", defaultValue = "50", description = "Steps between log lines when output is not a terminal (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Override
    public Integer call() throws Exception {
        Runtime.init();
        try (NDManager m = Runtime.newManager()) {
            return resume != null ? resumeRun(m) : newRun(m);
        }
    }

    private Integer newRun(NDManager m) {
        LossType lossType = parseLoss(loss);
        DataSet d = data.open(seed);
        boolean vectors = !d.isImage();
        long total = steps != null ? steps : (vectors ? 1500 : 1000);
        int batch = this.batch != null ? this.batch : (vectors ? 256 : 64);
        double lr = this.lr != null ? this.lr : (vectors ? 1e-3 : 2e-4);
        int threads = this.threads != null ? this.threads : (vectors ? 1 : 0);
        Path dir = out != null ? out : Path.of("runs", (data.spec.replaceAll("[^A-Za-z0-9]+", "-") + "-" + unet.preset));
        if (Files.exists(dir.resolve(Trainer.CHECKPOINT))) {
            throw new UserException(dir + " already holds a run; continue it with --resume " + dir + " or choose another --out");
        }
        DdpmSpec spec;
        if (d.isImage()) {
            spec = DdpmSpec.unet(unet.build(d.channels()), d.channels(), d.height(), d.width(), schedule.build(false), lossType);
        } else if (d.rowShape().length == 1) {
            spec = DdpmSpec.mlp(MlpDenoiser.Config.toy((int) d.rowShape()[0]), schedule.build(true), lossType);
        } else {
            throw new UserException("cannot train on rows of shape " + java.util.Arrays.toString(d.rowShape())
                    + ": give images [C,H,W] or vectors [D]");
        }
        TrainConfig cfg = TrainConfig.builder().steps(total).batchSize(batch).lr(lr)
                .warmupSteps(warmup != null ? warmup : Math.min(1000, total / 10)).gradClip(clip)
                .emaDecay(ema != null ? ema : (total <= 10_000 ? 0.995 : 0.9999)).seed(seed)
                .logEvery(logEvery).checkpointEvery(checkpointEvery)
                .sampleEvery(sampleEvery != null ? sampleEvery : (int) Math.max(1, total / 5)).threads(threads).build();
        if (batch > d.size()) {
            throw new UserException("--batch " + batch + " is larger than the data set (" + d.size() + " rows)");
        }
        try (Ddpm ddpm = Ddpm.create(spec, m, seed)) {
            System.err.println("training " + spec + " on " + d.name() + " (" + d.size() + " rows) into " + dir);
            return run(ddpm, d, data.describe(seed), cfg, dir, null, m);
        }
    }

    private Integer resumeRun(NDManager m) {
        Path file = resume.resolve(Trainer.CHECKPOINT);
        if (!Files.isDirectory(resume)) {
            throw new UserException(resume + ": no such run folder; give the --out folder of an earlier 'train'");
        }
        Checkpoint c = Checkpoint.read(file, m).requireKind(Ddpm.KIND, file);
        JsonObject model = c.header().getAsJsonObject("model");
        TrainConfig cfg = TrainConfig.fromJson(c.header().get("train").toString());
        if (steps != null) {
            cfg = cfg.toBuilder().steps(steps).build();
        }
        long done = c.header().get("step").getAsLong();
        if (cfg.steps <= done) {
            throw new UserException(resume + " is already at step " + done + "; give --steps above it to train further");
        }
        DataSet d = DataOptions.reopen(model.getAsJsonObject("data"));
        try (Ddpm ddpm = Ddpm.create(DdpmSpec.fromJson(model.getAsJsonObject("spec")), m, 0)) {
            System.err.println("resuming " + resume + " at step " + done + " of " + cfg.steps);
            return run(ddpm, d, model.getAsJsonObject("data"), cfg, resume, c, m);
        }
    }

    private Integer run(Ddpm ddpm, DataSet d, JsonObject dataDesc, TrainConfig cfg, Path dir, Checkpoint from, NDManager m) {
        Batcher batcher = Batcher.builder(d).batchSize(cfg.batchSize).seed(cfg.seed).shuffle(true).dropLast(true)
                .scaling(ddpm.spec().isImage() ? Batcher.Scaling.MINUS_ONE_TO_ONE : Batcher.Scaling.KEEP).build();
        DdpmTask task = new DdpmTask(ddpm, dataDesc, d.isImage() ? null : d);
        try (Trainer trainer = new Trainer(task, new BatcherSource(batcher), cfg, dir, m)) {
            trainer.afterCheckpoint(p -> Pictures.lossCurve(dir));
            if (from != null) {
                trainer.restore(from);
            }
            Trainer.Result r;
            try (StopOnSignal stop = new StopOnSignal(trainer::requestStop)) {
                r = trainer.run();
            }
            List<Float> l = r.losses();
            double tail = l.subList(Math.max(0, l.size() - 50), l.size()).stream().mapToDouble(Float::doubleValue).average().orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "%s at step %d of %d: loss (mean of last %d) %.4f, %.1f s, %.0f ms/step; run folder %s%n",
                    r.interrupted() ? "stopped" : "done", r.endStep(), cfg.steps, Math.min(50, l.size()), tail, r.seconds(),
                    l.isEmpty() ? 0 : 1000 * r.seconds() / l.size(), dir);
            if (r.interrupted()) {
                System.out.println("checkpoint saved; continue with: ./diffusion4j train --resume " + dir);
                return Main.EXIT_INTERRUPTED;
            }
            return 0;
        }
    }

    static LossType parseLoss(String s) {
        try {
            return LossType.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException("--loss must be l2 or l1, got '" + s + "'");
        }
    }
}
