package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.train.TrainingTask;

/** What every train command does around the shared loop: new-run and resume checks, signals, summary. */
final class TrainRuns {
    private TrainRuns() {}

    /** Refuses to overwrite a run folder that already holds a checkpoint. */
    static void requireFresh(Path dir, String resumeCommand) {
        if (Files.exists(dir.resolve(Trainer.CHECKPOINT))) {
            throw new UserException(dir + " already holds a run; continue it with " + resumeCommand + " --resume "
                    + dir + " or choose another --out");
        }
    }

    /**
     * A run to continue: the checkpoint (of the given kind) whose state it starts from, its model
     * and data, its training configuration, the step it is at, the folder it trains into, and for
     * a run branched by --init-from where it came from (null for a plain resume).
     */
    record Resumed(Checkpoint checkpoint, JsonObject model, TrainConfig config, long done, Path dir, JsonObject origin) {
        Resumed withConfig(TrainConfig c) {
            return new Resumed(checkpoint, model, c, done, dir, origin);
        }

        /** The line a command prints before training on. */
        String describe() {
            return origin == null ? "resuming " + dir + " at step " + done + " of " + config.steps
                    : "starting " + dir + " from " + origin.get("from").getAsString() + " at step " + done + " of " + config.steps
                            + (origin.has("weightsOnly") ? " (weights only: its EMA weights start weights and EMA, Adam starts afresh)" : "");
        }
    }

    /** --resume RUN_DIR, or --init-from SOURCE with --out NEW_DIR: the run to continue. */
    static Resumed resumeOrBranch(Path resume, Path out, String kind, TrainOptions o, String command, NDManager m) {
        if (resume != null && o.initFrom != null) {
            throw new UserException("give either --resume (continue a run in its folder) or --init-from (start a new run from one), not both");
        }
        if (resume != null) {
            return resume(resume, kind, o.steps, o.threads, o.decayFrom, m);
        }
        return branch(o.initFrom, out, kind, o, command, m);
    }

    static Resumed resume(Path dir, String kind, TrainOptions options, NDManager m) {
        return resume(dir, kind, options.steps, options.threads, options.decayFrom, m);
    }

    /**
     * A new run in {@code out} that carries on from the full training state of {@code source}
     * (weights, EMA, Adam moments, step counter) under the source's configuration with the
     * given options in its place: how a run whose decay has begun is trained further. From an
     * exported (weights-only) file, its EMA weights start both weights and EMA and Adam starts
     * afresh: how a shipped model is trained further once its run folder is gone.
     */
    static Resumed branch(Path source, Path out, String kind, TrainOptions o, String command, NDManager m) {
        if (out == null) {
            throw new UserException("--init-from needs --out: the folder of the new run");
        }
        requireFresh(out, command);
        Path file = Checkpoint.fileOf(source);
        Checkpoint c = Checkpoint.read(file, m).requireKind(kind, file);
        TrainConfig base = TrainConfig.fromJson(c.header().get("train").toString());
        long done = c.header().get("step").getAsLong();
        if (base.decayStartedBefore(done) && o.decayFrom == null) {
            throw new UserException(source + " has been decaying its learning rate since step " + base.lrDecayFrom
                    + "; give the new run's --decay-from (a step at or after " + done + ", or -1 for none)");
        }
        if (o.decayFrom != null && o.decayFrom != -1 && o.decayFrom < done) {
            throw new UserException("--decay-from " + o.decayFrom + " lies before step " + done
                    + ", where the new run starts; give a step at or after it");
        }
        TrainConfig cfg = o.override(base, done);
        if (cfg.steps <= done) {
            throw new UserException(source + " is already at step " + done + "; give --steps above it for the new run");
        }
        JsonObject origin = new JsonObject();
        origin.addProperty("from", file.toString());
        origin.addProperty("step", done);
        if (!c.has("adam.m")) {
            // An exported model: its EMA weights start both weights and EMA; Adam starts afresh.
            origin.addProperty("weightsOnly", true);
        }
        if (c.header().has("initFrom")) {
            origin.add("initFrom", c.header().get("initFrom"));
        }
        return new Resumed(c, c.header().getAsJsonObject("model"), cfg, done, out, origin);
    }

    /**
     * As above, with a new step target, thread count and decay start where not null. The steps
     * already trained must keep the learning rates they had, so a decay that has begun fixes
     * both the target and the start, and a new start may not lie in the past.
     */
    static Resumed resume(Path dir, String kind, Long steps, Integer threads, Long decayFrom, NDManager m) {
        Path file = dir.resolve(Trainer.CHECKPOINT);
        if (!Files.isDirectory(dir)) {
            throw new UserException(dir + ": no such run folder; give the --out folder of an earlier training run");
        }
        Checkpoint c = Checkpoint.read(file, m).requireKind(kind, file);
        TrainConfig cfg = TrainConfig.fromJson(c.header().get("train").toString());
        long done = c.header().get("step").getAsLong();
        boolean moved = (steps != null && steps != cfg.steps) || (decayFrom != null && decayFrom != cfg.lrDecayFrom);
        if (moved && cfg.decayStartedBefore(done)) {
            throw new UserException(dir + " has been decaying its learning rate since step " + cfg.lrDecayFrom
                    + "; its --steps and --decay-from can no longer change (to end sooner or later, start a new run from it: "
                    + "--init-from " + dir + " --out NEW_DIR --steps N --decay-from " + done + " --lr "
                    + String.format(Locale.ROOT, "%.3g", cfg.learningRate(done)) + ", its rate now)");
        }
        if (decayFrom != null && decayFrom != -1 && decayFrom != cfg.lrDecayFrom && decayFrom < done) {
            throw new UserException("--decay-from " + decayFrom + " lies before the run's current step " + done
                    + "; give a step at or after it");
        }
        TrainConfig.Builder b = cfg.toBuilder();
        if (steps != null) {
            b.steps(steps);
        }
        if (threads != null) {
            b.threads(threads);
        }
        if (decayFrom != null) {
            b.lrDecayFrom(decayFrom);
        }
        cfg = b.build();
        if (cfg.steps <= done) {
            throw new UserException(dir + " is already at step " + done + "; give --steps above it to train further");
        }
        return new Resumed(c, c.header().getAsJsonObject("model"), cfg, done, dir, null);
    }

    /**
     * Trains {@code task} into {@code dir} (from {@code from} if resuming), with Ctrl-C saving a
     * checkpoint, loss.png after every checkpoint, and a one-line summary; returns the exit code.
     */
    static int run(TrainingTask task, BatchSource source, TrainConfig cfg, Path dir, Checkpoint from, NDManager m,
            String resumeCommand) {
        return run(task, source, cfg, dir, from, null, null, m, resumeCommand);
    }

    /** As above, continuing the run {@code r} (its line is printed once the run folder is locked). */
    static int run(TrainingTask task, BatchSource source, Resumed r, NDManager m, String resumeCommand) {
        return run(task, source, r.config(), r.dir(), r.checkpoint(), r.origin(), r.describe(), m, resumeCommand);
    }

    private static int run(TrainingTask task, BatchSource source, TrainConfig cfg, Path dir, Checkpoint from,
            JsonObject origin, String banner, NDManager m, String resumeCommand) {
        try (Trainer trainer = new Trainer(task, source, cfg, dir, m)) {
            if (banner != null) {
                System.err.println(banner);
            }
            trainer.afterCheckpoint(p -> Pictures.lossCurve(dir));
            if (from != null) {
                trainer.restore(from);
            }
            if (origin != null) {
                trainer.initFrom(origin);
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
                System.out.println("checkpoint saved; continue with: ./diffusion4j " + resumeCommand + " --resume " + dir);
                return Main.EXIT_INTERRUPTED;
            }
            return 0;
        }
    }
}
