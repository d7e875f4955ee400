package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;

/**
 * A run folder: config.json (what is trained, how, from where), metrics.jsonl (a line per step),
 * checkpoint.bin (the full training state, written atomically, safetensors: docs/model-files.md) and
 * the previous ones (checkpoint.1.bin, ...: {@link CheckpointGenerations}), loss.png and samples/ (pictures).
 * While open it holds the folder's lock, so that no second trainer writes into it. It is one
 * listener's business: {@link #attach} gives a trainer the listeners that write the folder.
 * Its static methods hold the rules about starting, resuming and branching runs.
 */
public final class RunFolder implements AutoCloseable {
    public static final String CHECKPOINT = "checkpoint.bin";
    public static final String CONFIG = "config.json";
    public static final String METRICS = "metrics.jsonl";
    public static final String LOSS_CURVE = "loss.png";
    public static final String SAMPLES = "samples";

    private final Path dir;
    private final RunLock lock;

    private RunFolder(Path dir) {
        this.dir = dir;
        this.lock = RunLock.acquire(dir);
    }

    /** Creates the folder if need be and locks it (a UserException if another process trains into it). */
    public static RunFolder open(Path dir) {
        return new RunFolder(dir);
    }

    public Path dir() {
        return dir;
    }

    public Path checkpoint() {
        return dir.resolve(CHECKPOINT);
    }

    public Path metrics() {
        return dir.resolve(METRICS);
    }

    /**
     * Makes the trainer write this folder: config.json when a run starts, metrics.jsonl, the
     * checkpoint at every save point, and the task's pictures every sampleEvery steps.
     */
    public Trainer attach(Trainer trainer) {
        return attach(trainer, System.nanoTime());
    }

    /**
     * As {@link #attach(Trainer)}; a run with a wall-clock budget not yet planned also gets the
     * listener that plans it, the budget counted from {@code budgetOriginNanos} ({@link System#nanoTime()}'s scale).
     */
    public Trainer attach(Trainer trainer, long budgetOriginNanos) {
        return attach(trainer, System::nanoTime, budgetOriginNanos);
    }

    /** As {@link #attach(Trainer, long)}, the budget timed by {@code clock} (nanoseconds; a test's clock). */
    public Trainer attach(Trainer trainer, java.util.function.LongSupplier clock, long budgetOriginNanos) {
        if (trainer.config().awaitingPlan()) {
            trainer.addListener(new BudgetListener(this, clock, budgetOriginNanos));
        }
        return trainer.addListener(new TrainingListener() {
            @Override
            public void onStart(Trainer t) {
                writeConfig(t.header());
            }
        }).addListener(new MetricsListener(metrics()))
                .addListener(new CheckpointListener(checkpoint(), trainer.config().keepCheckpoints()))
                .addListener(new SampleListener(dir));
    }

    /** Writes config.json (pretty-printed, atomically) from a checkpoint header's JSON. */
    public void writeConfig(String headerJson) {
        AtomicConfig.write(dir.resolve(CONFIG), JsonParser.parseString(headerJson));
    }

    @Override
    public void close() {
        lock.close();
    }

    /** True if {@code dir} already holds a run (a checkpoint, of any generation). */
    public static boolean holdsRun(Path dir) {
        return !CheckpointGenerations.existing(dir.resolve(CHECKPOINT)).isEmpty();
    }

    /** Refuses to start a new run in a folder that already holds one. */
    public static void requireFresh(Path dir) {
        if (holdsRun(dir)) {
            throw new UserException(dir + " already holds a run; resume it or choose another folder");
        }
    }

    /**
     * A run to continue: the checkpoint whose state it starts from (read from {@code file}), its model description (JSON:
     * the task's {@link TrainingTask#describe()}), its training configuration, the step it is at,
     * the folder it trains into, and for a run branched from another where it came from (JSON;
     * null for a plain resume). When the newest checkpoint was damaged, {@code fallback} says in
     * one line which older one is used instead, and {@code damaged} lists the damaged files of
     * the run's own folder, set aside by {@link #restoreInto}.
     */
    public record Continuation(Checkpoint checkpoint, Path file, String modelJson, TrainConfig config, long done, Path dir,
            String originJson, String fallback, List<Path> damaged) {
        public Continuation withConfig(TrainConfig c) {
            return new Continuation(checkpoint, file, modelJson, c, done, dir, originJson, fallback, damaged);
        }

        /** One line saying what is continued from where. */
        public String describe() {
            if (originJson == null) {
                return "resuming " + dir + " at step " + done + " of " + config.steps() + " from " + file;
            }
            JsonObject o = JsonParser.parseString(originJson).getAsJsonObject();
            return "starting " + dir + " from " + o.get("from").getAsString() + " at step " + done + " of " + config.steps()
                    + (o.has("weightsOnly") ? " (weights only: its EMA weights start weights and EMA, Adam starts afresh)" : "");
        }

        /**
         * Restores the trainer's state from the checkpoint and records where the run came from;
         * damaged newer checkpoints of the run's folder are renamed to NAME.damaged first.
         */
        public void restoreInto(Trainer trainer) {
            CheckpointGenerations.setAside(damaged);
            trainer.restore(checkpoint);
            if (originJson != null) {
                trainer.initFrom(originJson);
            }
        }
    }

    /**
     * Continues the run in {@code dir} (its checkpoint, of the given kind) with a new step target,
     * thread count and decay start where not null. The steps already trained must keep the
     * learning rates they had, so a decay that has begun fixes both the target and the start,
     * and a new start may not lie in the past.
     */
    public static Continuation resume(Path dir, String kind, Long steps, Integer threads, Long lrDecayFrom, NDManager m) {
        if (!Files.isDirectory(dir)) {
            throw new UserException(dir + ": no such run folder; give the folder of an earlier training run");
        }
        CheckpointGenerations.Intact intact = CheckpointGenerations.readNewestIntact(dir.resolve(CHECKPOINT), kind, m);
        Checkpoint c = intact.checkpoint();
        TrainConfig cfg = c.trainConfig();
        long done = c.step();
        boolean moved = (steps != null && steps != cfg.steps()) || (lrDecayFrom != null && lrDecayFrom != cfg.lrDecayFrom());
        if (moved && cfg.decayStartedBefore(done)) {
            throw new ScheduleLockedException(dir, cfg.lrDecayFrom(), done, cfg.learningRate(done), false);
        }
        if (lrDecayFrom != null && lrDecayFrom != -1 && lrDecayFrom != cfg.lrDecayFrom() && lrDecayFrom < done) {
            throw new InvalidArgumentException("lrDecayFrom", lrDecayFrom, "lies before the run's current step " + done
                    + "; give a step at or after it");
        }
        TrainConfig.Builder b = cfg.toBuilder();
        if (steps != null) {
            b.steps(steps);
        }
        if (threads != null) {
            b.threads(threads);
        }
        if (lrDecayFrom != null) {
            b.lrDecayFrom(lrDecayFrom);
        }
        cfg = b.build();
        requireAbove(cfg, done, dir);
        return new Continuation(c, intact.file(), c.modelJson(), cfg, done, dir, null, intact.note(), intact.damaged());
    }

    /**
     * A new run in {@code out} that carries on from the full training state of {@code source} (a
     * run folder or checkpoint file: weights, EMA, Adam moments, step counter) under the source's
     * configuration as changed by {@code override} (given that configuration and the step the new
     * run starts at); {@code lrDecayFrom} is the new run's decay start if one was chosen (a source
     * whose decay has begun needs one). From an exported (weights-only) file, its EMA weights start
     * both weights and EMA and Adam starts afresh.
     */
    public static Continuation branch(Path source, Path out, String kind, Long lrDecayFrom,
            BiFunction<TrainConfig, Long, TrainConfig> override, NDManager m) {
        requireFresh(out);
        CheckpointGenerations.Intact intact = Files.isDirectory(source)
                ? CheckpointGenerations.readNewestIntact(source.resolve(CHECKPOINT), kind, m)
                : new CheckpointGenerations.Intact(Checkpoint.read(source, m).requireKind(kind, source), source, List.of(), null);
        Path file = intact.file();
        Checkpoint c = intact.checkpoint();
        TrainConfig base = c.trainConfig();
        long done = c.step();
        if (base.decayStartedBefore(done) && lrDecayFrom == null) {
            throw new ScheduleLockedException(source, base.lrDecayFrom(), done, base.learningRate(done), true);
        }
        if (lrDecayFrom != null && lrDecayFrom != -1 && lrDecayFrom < done) {
            throw new InvalidArgumentException("lrDecayFrom", lrDecayFrom, "lies before step " + done
                    + ", where the new run starts; give a step at or after it");
        }
        TrainConfig cfg = override.apply(base, done);
        requireAbove(cfg, done, source);
        JsonObject origin = new JsonObject();
        origin.addProperty("from", file.toString());
        origin.addProperty("step", done);
        if (c.isWeightsOnly()) {
            origin.addProperty("weightsOnly", true);
        }
        if (c.originJson() != null) {
            origin.add("initFrom", JsonParser.parseString(c.originJson()));
        }
        return new Continuation(c, file, c.modelJson(), cfg, done, out, origin.toString(), intact.note(), List.of());
    }

    private static void requireAbove(TrainConfig cfg, long done, Path run) {
        if (cfg.steps() <= done) {
            throw new InvalidArgumentException("steps", cfg.steps(), "does not go beyond step " + done + ", where " + run
                    + " already is; give a larger number to train further");
        }
    }
}
