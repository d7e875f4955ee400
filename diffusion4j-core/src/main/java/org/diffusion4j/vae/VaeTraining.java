package org.diffusion4j.vae;

import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.ModelTraining;
import org.diffusion4j.train.TrainConfig;

/**
 * Trains a new VAE in memory on the negative ELBO:
 * {@code Vae v = VaeTraining.of(spec).data(dataSet).batchSize(100).steps(3000).run();}
 * gives the trained model with its EMA weights in place. Rows are values in [0, 1] (pixels);
 * a Bernoulli model is trained on dynamically binarised pixels (each 1 with probability = value)
 * unless {@link #binarize} says otherwise. A conditional model trains on the data set's labels.
 */
public final class VaeTraining extends ModelTraining<VaeTraining> {
    private final VaeSpec spec;
    private boolean binarize;

    private VaeTraining(VaeSpec spec) {
        this.spec = spec;
        this.binarize = spec.likelihood() == VaeSpec.Likelihood.BERNOULLI;
    }

    /** A training of a new model of {@code spec}. */
    public static VaeTraining of(VaeSpec spec) {
        return new VaeTraining(spec);
    }

    /** Draw binary pixels from the values at every step (default: on for a Bernoulli model). */
    public VaeTraining binarize(boolean v) {
        binarize = v;
        return this;
    }

    /** Trains and returns the model (EMA weights in place), with a manager of its own: close it. */
    public Vae run() {
        DataSet data = dataSet();
        TrainConfig c = config();
        if (data.rowSize() != spec.dim()) {
            throw new InvalidArgumentException("data", data.name(), "has rows of " + data.rowSize() + " values but the model's have "
                    + spec.dim());
        }
        for (float v : data.data()) {
            if (!(v >= 0 && v <= 1)) {
                throw new InvalidArgumentException("data", data.name(), "has the value " + v + "; give values in [0, 1] (pixels)");
            }
        }
        Batcher batcher = Batcher.builder(data).batchSize(c.batchSize()).seed(c.seed()).binarize(binarize).build();
        if (device().isGpu()) {
            throw new InvalidArgumentException("device", org.diffusion4j.Devices.name(device()),
                    "is not supported for VAEs: they train on the CPU (DDPMs train on a GPU)");
        }
        Vae vae = Vae.create(spec, c.seed());
        try {
            VaeTask task = new VaeTask(vae);
            vae.setHeader(train(task, task.source((step, m) -> {
                Batcher.Batch b = batcher.batch(step);
                return new Batch(b.toNDArray(m), b.labelsNDArray(m));
            }), c));
            return vae;
        } catch (RuntimeException e) {
            vae.close();
            throw e;
        }
    }
}
