package org.diffusion4j.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.data.DataSet;

/**
 * What the training builders of the model families share ({@code DdpmTraining}, {@code
 * VaeTraining}): the data set, the loop's settings, each given once (the batch size both cuts the
 * data and is recorded), the listeners, and the end of a run: the model's weights replaced by
 * their exponential moving average, the weights one samples with and saves.
 *
 * @param <T> the builder itself, so that its setters chain
 */
public abstract class ModelTraining<T extends ModelTraining<T>> {
    private DataSet data;
    private final TrainConfig.Builder config = TrainConfig.builder().sampleEvery(0);
    private final List<TrainingListener> listeners = new ArrayList<>();
    private Device device = Device.cpu();

    protected ModelTraining() {}

    @SuppressWarnings("unchecked")
    private T self() {
        return (T) this;
    }

    /** The training data, in memory. */
    public T data(DataSet d) {
        data = d;
        return self();
    }

    /** Rows per step (default 64). */
    public T batchSize(int v) {
        config.batchSize(v);
        return self();
    }

    /** Steps to train (default 1000). */
    public T steps(long v) {
        config.steps(v);
        return self();
    }

    /** Adam's learning rate (default 2e-4). */
    public T learningRate(double v) {
        config.lr(v);
        return self();
    }

    /** Steps of linear warm-up of the learning rate (default 0). */
    public T warmupSteps(long v) {
        config.warmupSteps(v);
        return self();
    }

    /** The decay of the weights' moving average (default 0.9999, with the usual warm-up of the decay). */
    public T emaDecay(double v) {
        config.emaDecay(v);
        return self();
    }

    /** The seed of the initial weights, the data order and every random number of a step (default 0). */
    public T seed(long v) {
        config.seed(v);
        return self();
    }

    /**
     * Where the model is created and trained (default: the CPU); see {@link org.diffusion4j.Devices}.
     * The trained model stays on this device.
     */
    public T device(Device d) {
        device = java.util.Objects.requireNonNull(d, "device");
        return self();
    }

    /** The device asked for with {@link #device}. */
    protected Device device() {
        return device;
    }

    /** PyTorch's intra-op threads (default 0: leave as is). */
    public T threads(int v) {
        config.threads(v);
        return self();
    }

    /** Any other setting of the loop (gradient clipping, decay of the learning rate, precision). */
    public T configure(Consumer<TrainConfig.Builder> settings) {
        settings.accept(config);
        return self();
    }

    /** Told after every step (progress, metrics); called in the order added. */
    public T listener(TrainingListener l) {
        listeners.add(l);
        return self();
    }

    /** Told of every step's record (its loss, learning rate, gradient norm, time). */
    public T onStep(Consumer<StepRecord> each) {
        return listener(new TrainingListener() {
            @Override
            public void onStep(Trainer trainer, StepRecord record) {
                each.accept(record);
            }
        });
    }

    /** The data set, or a one-line refusal if none was given. */
    protected DataSet dataSet() {
        if (data == null) {
            throw new InvalidArgumentException("data", "(none)", "must be given: the data set to train on");
        }
        return data;
    }

    /** The loop's settings, checked (one-line InvalidArgumentExceptions). */
    protected TrainConfig config() {
        return config.build();
    }

    /**
     * Trains {@code task}'s model on {@code source} and leaves the EMA weights in it.
     *
     * @return the header of the finished run (provenance for the model's file)
     */
    protected String train(TrainingTask task, BatchSource source, TrainConfig c) {
        try (NDManager m = TorchRuntime.newManager(device); Trainer trainer = new Trainer(task, source, c, m)) {
            listeners.forEach(trainer::addListener);
            trainer.run();
            trainer.parameters().copyFrom(trainer.ema().weights());
            return trainer.header();
        }
    }
}
