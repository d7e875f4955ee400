package org.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.Devices;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.nn.LowPrecision;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.nn.Scalar;

/**
 * The one training loop of every model family: per step, seed PyTorch's generator from
 * (seed, step), take the step's batch, loss and backward, clip by global norm, Adam, EMA. Because
 * every random number of a step is a function of (seed, step), a resumed run reproduces an
 * uninterrupted one exactly. The loop keeps everything in memory; what is written or shown
 * (metrics, checkpoints, pictures, progress) is the business of its {@link TrainingListener}s,
 * e.g. those of a {@link RunFolder}.
 */
public final class Trainer implements AutoCloseable {
    /** File names of a run folder (kept here for callers that name them through the trainer). */
    public static final String CHECKPOINT = RunFolder.CHECKPOINT;
    public static final String CONFIG = RunFolder.CONFIG;
    public static final String METRICS = RunFolder.METRICS;

    private final TrainingTask task;
    private final BatchSource data;
    /** Changes once, when a wall-clock budget's plan is made ({@link #applyPlan}). */
    private TrainConfig config;
    private final NDManager manager;
    private final NamedArrays params;
    private final Adam adam;
    private final Ema ema;
    private final Precision precision;
    private final LossScaler scaler;
    private final DivergencePolicy divergence;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private long step;
    /** Where a run branched from another's state came from (kept in every checkpoint), or null. */
    private JsonObject origin;
    private volatile boolean stopRequested;
    /** Whether the step just done is the last: decided once per step, so all listeners agree. */
    private boolean last;

    /** What a call to {@link #run} did. */
    public record Result(long startStep, long endStep, List<Float> losses, boolean interrupted, double seconds, long target) {}

    /**
     * A trainer of {@code task}'s model on {@code data}, at step 0 with fresh Adam and EMA state;
     * its arrays live in a sub-manager of {@code parent}, closed with the trainer.
     */
    public Trainer(TrainingTask task, BatchSource data, TrainConfig config, NDManager parent) {
        this.task = task;
        this.data = data;
        this.config = config;
        this.params = NamedArrays.parametersOf(task.model());
        if (params.size() == 0) {
            throw new IllegalArgumentException("the model has no trainable parameters: initialise it first");
        }
        // On the device of the model's weights, whatever the parent's: the moments, the EMA and
        // every array of a step (the batch, the noise, the loss) live beside the weights.
        this.manager = parent.newSubManager(params.get(0).getDevice());
        this.adam = new Adam(params, manager);
        this.ema = new Ema(params, config.emaDecay(), manager);
        this.precision = config.precisionValue();
        this.scaler = new LossScaler(precision != Precision.FP32);
        this.divergence = new DivergencePolicy(scaler);
        if (config.threads() > 0) {
            // a run saved on a larger machine gets this one's most
            Runtime.setThreads(Math.min(config.threads(), Runtime.maxThreads()));
        }
    }

    /** Adds a listener, called after those added before it. */
    public Trainer addListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    public TrainingTask task() {
        return task;
    }

    public TrainConfig config() {
        return config;
    }

    /**
     * Puts a wall-clock budget's plan in place: the run now trains to the planned step, decaying
     * as planned. Only once, and only if the steps already done keep their learning rates (the
     * plan's decay cannot start before the current step), so the run stays reproducible from its
     * saved configuration.
     */
    public void applyPlan(TimeBudget.Plan plan) {
        if (!config.awaitingPlan()) {
            throw new IllegalStateException("the run has no budget waiting for a plan");
        }
        TrainConfig planned = config.withPlan(plan);
        if (planned.steps() <= step || (planned.lrDecayFrom() >= 0 && planned.lrDecayFrom() < step)) {
            throw new IllegalStateException("the plan " + plan + " would change steps already trained (at step " + step + ")");
        }
        config = planned;
    }

    /** Where the trainer's arrays live: the device of the model's weights. */
    public ai.djl.Device device() {
        return manager.getDevice();
    }

    /** The trainer's manager (the moments, the EMA; a step's arrays are in sub-managers of it while it runs). */
    NDManager manager() {
        return manager;
    }

    /** Steps done so far (the 0-based number of the next step). */
    public long step() {
        return step;
    }

    /** The trained weights (the model's parameters). */
    public NamedArrays parameters() {
        return params;
    }

    /** The exponential moving average of the weights. */
    public Ema ema() {
        return ema;
    }

    /** Steps whose update was skipped because the gradient was not finite. */
    public long skippedSteps() {
        return divergence.skipped();
    }

    /** Asks the loop to stop after the current step (listeners then save as at the last step). Thread-safe. */
    public void requestStop() {
        stopRequested = true;
    }

    /** True once the step just done is the run's last: the target is reached or a stop was asked for. */
    public boolean finishing() {
        return last;
    }

    /** True when the state after the step just done should be saved: every checkpointEvery steps and at the end. */
    public boolean atSavePoint() {
        return step % config.checkpointEvery() == 0 || finishing();
    }

    /**
     * Restores weights, EMA, optimizer state and step counter from a checkpoint of this task. A
     * weights-only file (an exported model) has only the EMA weights: they become both the
     * trained weights and the EMA, and Adam starts afresh (its bias correction restarts too).
     */
    public void restore(Checkpoint ckpt) {
        JsonObject h = ckpt.headerObject();
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

    /** Records (as JSON) that this run started from another run's state (after {@link #restore}). */
    public void initFrom(String originJson) {
        this.origin = originJson == null ? null : JsonParser.parseString(originJson).getAsJsonObject();
    }

    private NamedArrays checked(NamedArrays a) {
        params.checkCompatible(a, "the checkpoint");
        return a;
    }

    /** The header every checkpoint and config.json carry, as JSON. */
    public String header() {
        return headerObject().toString();
    }

    JsonObject headerObject() {
        JsonObject h = new JsonObject();
        h.addProperty("format", 1);
        h.addProperty("kind", task.kind());
        h.add("model", JsonParser.parseString(task.describe()));
        h.add("train", JsonParser.parseString(config.toJson()));
        h.addProperty("step", step);
        h.addProperty("adamUpdates", adam.updates());
        h.addProperty("emaUpdates", ema.updates());
        h.addProperty("device", Devices.name(manager.getDevice()));
        if (origin != null) {
            h.add("initFrom", origin);
        }
        if (scaler.enabled()) {
            h.addProperty("lossScale", scaler.scale());
            h.addProperty("lossScaleGoodSteps", scaler.goodSteps());
        }
        return h;
    }

    /** The full training state now (weights, EMA, Adam moments, header), to write or to keep. */
    public Checkpoint checkpoint() {
        Map<String, NamedArrays> sections = new LinkedHashMap<>();
        sections.put("model", params);
        sections.put("ema", ema.weights());
        sections.put("adam.m", adam.firstMoments());
        sections.put("adam.v", adam.secondMoments());
        sections.putAll(task.fixedSections());
        return new Checkpoint(headerObject(), sections);
    }

    /** Trains from the current step to config.steps (or until stopped), telling the listeners. */
    public Result run() {
        long start = step;
        List<Float> losses = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            last = step >= config.steps() || stopRequested;
            listeners.forEach(l -> l.onStart(this));
            while (!last) {
                StepRecord record = trainStep();
                // A stop asked for while the listeners run takes effect after the next step, which is then saved.
                last = step >= config.steps() || stopRequested;
                losses.add(record.loss());
                listeners.forEach(l -> l.onStep(this, record));
            }
        } finally {
            listeners.forEach(l -> l.onEnd(this));
        }
        return new Result(start, step, losses, stopRequested && step < config.steps(), (System.nanoTime() - t0) / 1e9,
                config.steps());
    }

    private static long stepSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One step: batch, loss and gradient, the divergence verdict, and (unless skipped) Adam and EMA. */
    private StepRecord trainStep() {
        long ts = System.nanoTime();
        double lr = config.learningRate(step);
        Backward b;
        DivergencePolicy.Verdict verdict;
        StepTimings timings;
        try (NDManager sub = manager.newSubManager()) {
            Runtime.seed(stepSeed(config.seed(), step));
            Batch batch = data.batch(step, sub);
            long tData = System.nanoTime();
            b = backward(batch, sub);
            try {
                verdict = divergence.judge(b.loss, b.norm, b.grads, step);
            } catch (TrainingDivergedException e) {
                zeroGradients();
                throw e;
            }
            long tClip = System.nanoTime();
            if (verdict.update()) {
                adam.step(params, b.grads, lr, GradientClipping.scale(b.norm, config.gradClip()));
            }
            zeroGradients();
            long tAdam = System.nanoTime();
            if (verdict.update()) {
                ema.update(params);
            }
            long tEma = System.nanoTime();
            timings = new StepTimings(tData - ts, b.tForward - tData, b.tBackward - b.tForward,
                    tClip - b.tBackward, tAdam - tClip, tEma - tAdam);
        }
        step++;
        double ms = (System.nanoTime() - ts) / 1e6;
        return new StepRecord(step, b.loss, lr, b.norm, ms, !verdict.update(), verdict.skipReason(), timings);
    }

    /** The loss and gradient of one batch, with the times the forward and backward passes ended. */
    private record Backward(float loss, NamedArrays grads, double norm, long tForward, long tBackward) {}

    private Backward backward(Batch batch, NDManager sub) {
        NDArray lossArray;
        long tForward;
        NamedArrays grads;
        // In fp16 the network runs on float16 copies of the weights; their gradients come back as
        // float32, divided by the loss scale.
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
        float loss = lossArray.getFloat();
        long tBackward = System.nanoTime();
        return new Backward(loss, grads, GradientClipping.globalNorm(grads), tForward, tBackward);
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
    }
}
