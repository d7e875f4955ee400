package org.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.nn.LowPrecision;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.nn.Scalar;

/**
 * The one training loop of every model family: per step, seed PyTorch's generator from
 * (seed, step), take the step's batch, loss and backward, clip by global norm, Adam, EMA; log
 * metrics, show progress, checkpoint atomically, draw pictures with the EMA weights. Because
 * every random number of a step is a function of (seed, step), a resumed run reproduces an
 * uninterrupted one exactly.
 */
public final class Trainer implements AutoCloseable {
    public static final String CHECKPOINT = "checkpoint.bin";
    public static final String CONFIG = "config.json";
    public static final String METRICS = "metrics.jsonl";

    private final TrainingTask task;
    private final BatchSource data;
    private final TrainConfig config;
    private final Path runDir;
    private final NDManager manager;
    private final NamedArrays params;
    private final Adam adam;
    private final Ema ema;
    private final Precision precision;
    private final LossScaler scaler;
    private final RunLock lock;
    private long step;
    private long skipped;
    /** Where a run started by --init-from came from (kept in every checkpoint), or null. */
    private JsonObject origin;

    /** Steps whose update was skipped because the gradient was not finite. */
    public long skippedSteps() {
        return skipped;
    }
    private int skippedInARow;
    private static final int MAX_SKIPPED_IN_A_ROW = 10;
    private volatile boolean stopRequested;
    private Progress.Mode progressMode = Progress.Mode.AUTO;
    private Consumer<Path> afterCheckpoint = p -> { };
    private Consumer<StepTimings> afterStep = t -> { };

    /** Nanoseconds of the phases of one step (PyTorch runs ops synchronously on the CPU). */
    public record StepTimings(long data, long forward, long backward, long clip, long adam, long ema) {
        public long total() {
            return data + forward + backward + clip + adam + ema;
        }
    }

    private StepTimings lastTimings;

    /** The phase timings of the last step, or null before the first. */
    public StepTimings lastTimings() {
        return lastTimings;
    }

    /** What a call to {@link #run} did. */
    public record Result(long startStep, long endStep, List<Float> losses, boolean interrupted, double seconds) {}

    public Trainer(TrainingTask task, BatchSource data, TrainConfig config, Path runDir, NDManager parent) {
        this.task = task;
        this.data = data;
        this.config = config;
        this.runDir = runDir;
        this.manager = parent.newSubManager();
        this.params = NamedArrays.parametersOf(task.model());
        if (params.size() == 0) {
            throw new IllegalArgumentException("the model has no trainable parameters: initialise it first");
        }
        this.adam = new Adam(params, manager);
        this.ema = new Ema(params, config.emaDecay, manager);
        this.precision = config.precisionValue();
        this.scaler = new LossScaler(precision != Precision.FP32);
        if (config.threads > 0) {
            Runtime.setThreads(config.threads);
        }
        this.lock = runDir == null ? null : RunLock.acquire(runDir);
    }

    public Trainer progress(Progress.Mode mode) {
        this.progressMode = mode;
        return this;
    }

    /** Called with the checkpoint path after every checkpoint is written (e.g. to draw plots). */
    public Trainer afterCheckpoint(Consumer<Path> hook) {
        this.afterCheckpoint = hook;
        return this;
    }

    /** Called after every step with its phase timings (benchmarks). */
    public Trainer afterStep(Consumer<StepTimings> hook) {
        this.afterStep = hook;
        return this;
    }

    public long step() {
        return step;
    }

    public NamedArrays parameters() {
        return params;
    }

    public Ema ema() {
        return ema;
    }

    /** Asks the loop to stop after the current step; it then writes a checkpoint. Thread-safe. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Restores weights, EMA, optimizer state and step counter from a checkpoint of this task. A
     * weights-only file (an exported model) has only the EMA weights: they become both the
     * trained weights and the EMA, and Adam starts afresh (its bias correction restarts too).
     */
    public void restore(Checkpoint ckpt) {
        JsonObject h = ckpt.header();
        if (!task.kind().equals(ckpt.kind())) {
            throw new UserException("the checkpoint holds a '" + ckpt.kind() + "' model, not '" + task.kind() + "'");
        }
        boolean full = ckpt.has("adam.m");
        params.copyFrom(checked(ckpt.section(full ? "model" : "ema")));
        ema.restore(checked(ckpt.section("ema")), h.get("emaUpdates").getAsLong());
        if (full) {
            adam.restore(checked(ckpt.section("adam.m")), checked(ckpt.section("adam.v")),
                    h.get("adamUpdates").getAsLong());
        }
        step = h.get("step").getAsLong();
        origin = h.has("initFrom") ? h.getAsJsonObject("initFrom") : null;
        if (h.has("lossScale")) {
            scaler.restore(h.get("lossScale").getAsDouble(), h.get("lossScaleGoodSteps").getAsLong());
        }
    }

    /** Records that this run started from another run's state (after {@link #restore}). */
    public void initFrom(JsonObject source) {
        this.origin = source;
    }

    private NamedArrays checked(NamedArrays a) {
        params.checkCompatible(a, "the checkpoint");
        return a;
    }

    /** The header every checkpoint and config.json carry. */
    public JsonObject header() {
        JsonObject h = new JsonObject();
        h.addProperty("format", 1);
        h.addProperty("kind", task.kind());
        h.add("model", task.describe());
        h.add("train", JsonParser.parseString(config.toJson()));
        h.addProperty("step", step);
        h.addProperty("adamUpdates", adam.updates());
        h.addProperty("emaUpdates", ema.updates());
        if (origin != null) {
            h.add("initFrom", origin);
        }
        if (scaler.enabled()) {
            h.addProperty("lossScale", scaler.scale());
            h.addProperty("lossScaleGoodSteps", scaler.goodSteps());
        }
        return h;
    }

    public void writeCheckpoint() {
        Map<String, NamedArrays> sections = new LinkedHashMap<>();
        sections.put("model", params);
        sections.put("ema", ema.weights());
        sections.put("adam.m", adam.firstMoments());
        sections.put("adam.v", adam.secondMoments());
        Path file = runDir.resolve(CHECKPOINT);
        new Checkpoint(header(), sections).write(file);
        afterCheckpoint.accept(file);
    }

    private static long stepSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Trains from the current step to config.steps (or until stopped). */
    public Result run() {
        long start = step;
        List<Float> losses = new ArrayList<>();
        long t0 = System.nanoTime();
        AtomicConfig.write(runDir.resolve(CONFIG), header());
        try (MetricsLog metrics = new MetricsLog(runDir.resolve(METRICS), step);
                Progress progress = new Progress("train", step, config.steps, progressMode, config.logEvery)) {
            while (step < config.steps && !stopRequested) {
                long ts = System.nanoTime();
                double lr = config.learningRate(step);
                float loss;
                double norm;
                try (NDManager sub = manager.newSubManager()) {
                    Runtime.seed(stepSeed(config.seed, step));
                    Batch batch = data.batch(step, sub);
                    long tData = System.nanoTime();
                    NDArray lossArray;
                    long tForward;
                    NamedArrays grads;
                    // In fp16 the network runs on float16 copies of the weights; their gradients
                    // come back as float32, divided by the loss scale.
                    try (LowPrecision lp = LowPrecision.enter(task.model(), precision, sub, true)) {
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            lossArray = task.loss(batch);
                            tForward = System.nanoTime();
                            gc.backward(lp.reduced() ? Scalar.mul(lossArray, scaler.scale()) : lossArray);
                        }
                        grads = lp.reduced()
                                ? new NamedArrays(lp.names(), lp.float32Gradients(sub, 1.0 / scaler.scale()))
                                : gradients(sub);
                    }
                    loss = lossArray.getFloat();
                    long tBackward = System.nanoTime();
                    norm = GradientClipping.globalNorm(grads);
                    if (!Float.isFinite(loss)) {
                        zeroGradients();
                        throw new UserException(String.format(Locale.ROOT,
                                "the loss became %s at step %d; the run stopped, and %s holds the last good "
                                        + "checkpoint: lower --lr or keep --clip on, then --resume",
                                loss, step + 1, runDir.resolve(CHECKPOINT)));
                    }
                    if (!Double.isFinite(norm) && scaler.overflow()) {
                        // fp16: the scaled gradient overflowed; skip the update with a smaller scale.
                        zeroGradients();
                        skipped++;
                        skippedInARow = 1;
                    } else if (!Double.isFinite(norm)) {
                        // A finite loss with a non-finite gradient: skip this update (the weights,
                        // Adam and EMA stay as they were); stop if it keeps happening.
                        String where = firstNonFinite(grads);
                        zeroGradients();
                        skipped++;
                        if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                            throw new UserException(String.format(Locale.ROOT,
                                    "the gradient was not finite %d steps in a row (last at step %d%s); the run stopped, "
                                            + "and %s holds the last good checkpoint: --resume would replay the same "
                                            + "steps, so branch a new run from it with --init-from %s --out NEW_DIR and a "
                                            + "lower --lr or another --seed",
                                    skippedInARow, step + 1, where, runDir.resolve(CHECKPOINT), runDir));
                        }
                        System.err.printf(Locale.ROOT, "%nwarning: step %d has a non-finite gradient%s (loss %.4f); update skipped%n",
                                step + 1, where, loss);
                    } else {
                        skippedInARow = 0;
                        scaler.good();
                    }
                    long tClip = System.nanoTime();
                    if (skippedInARow == 0) {
                        adam.step(params, grads, lr, GradientClipping.scale(norm, config.gradClip));
                        zeroGradients();
                    }
                    long tAdam = System.nanoTime();
                    if (skippedInARow == 0) {
                        ema.update(params);
                    }
                    long tEma = System.nanoTime();
                    lastTimings = new StepTimings(tData - ts, tForward - tData, tBackward - tForward,
                            tClip - tBackward, tAdam - tClip, tEma - tAdam);
                }
                step++;
                afterStep.accept(lastTimings);
                double ms = (System.nanoTime() - ts) / 1e6;
                losses.add(loss);
                JsonObject rec = new JsonObject();
                rec.addProperty("step", step);
                rec.addProperty("loss", loss);
                rec.addProperty("lr", lr);
                rec.addProperty("gradNorm", norm);
                rec.addProperty("msPerStep", Math.round(ms * 100) / 100.0);
                if (skippedInARow > 0) {
                    rec.addProperty("skipped", true);
                }
                if (step % config.logEvery == 0) {
                    rec.addProperty("rssMb", Math.round(ResidentMemory.currentMb()));
                    // The heap beside RSS tells a growing JVM heap from growing native memory.
                    rec.addProperty("heapMb", Math.round(ResidentMemory.heapUsedMb()));
                    rec.addProperty("heapCommittedMb", Math.round(ResidentMemory.heapCommittedMb()));
                }
                metrics.append(rec);
                progress.update(step, String.format(Locale.ROOT, "loss %.4f", loss));
                boolean last = step == config.steps || stopRequested;
                if (step % config.checkpointEvery == 0 || last) {
                    metrics.flush();
                    writeCheckpoint();
                }
                if (config.sampleEvery > 0 && (step % config.sampleEvery == 0 || last)) {
                    snapshot();
                }
            }
        }
        return new Result(start, step, losses, stopRequested && step < config.steps,
                (System.nanoTime() - t0) / 1e9);
    }

    /** Draws the task's pictures with the EMA weights. */
    public void snapshot() {
        try {
            ema.withEmaWeights(params, () -> task.snapshot(step, runDir));
        } catch (IOException e) {
            throw new UserException(runDir + ": cannot write pictures (" + e.getMessage() + ")");
        }
    }

    /** Gradient views of the parameters, owned by {@code sub} (DJL would attach them to the parameters' manager). */
    private NamedArrays gradients(NDManager sub) {
        List<String> names = new ArrayList<>();
        List<NDArray> grads = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            NDArray g = params.get(i).getGradient();
            g.attach(sub);
            names.add(params.name(i));
            grads.add(g);
        }
        return new NamedArrays(names, grads);
    }

    /** ", first in PARAM" for the first parameter whose gradient is not finite, or "". */
    private static String firstNonFinite(NamedArrays grads) {
        for (int i = 0; i < grads.size(); i++) {
            if (!Double.isFinite(grads.get(i).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble())) {
                return ", first in " + grads.name(i);
            }
        }
        return "";
    }

    private void zeroGradients() {
        if (precision != Precision.FP32) {
            return; // the float16 copies that held gradients are gone with the step
        }
        for (NDArray p : params.arrays()) {
            JniUtils.zeroGrad((PtNDArray) p);
        }
    }

    @Override
    public void close() {
        manager.close();
        if (lock != null) {
            lock.close();
        }
    }
}
