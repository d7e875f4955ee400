package org.diffusion4j.ddpm;

import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.ModelTraining;
import org.diffusion4j.train.TrainConfig;

/**
 * Trains a new DDPM in memory with Algorithm 1:
 * {@code Ddpm d = DdpmTraining.of(spec).data(dataSet).batchSize(64).steps(2000).run();}
 * gives the trained model with its EMA weights in place, ready to sample and {@link Ddpm#save}.
 * Image data are pixels in [0, 1], scaled to [-1, 1] for the model (other values are refused);
 * vectors (an MLP model's rows) are used as they are. A class-conditional spec trains on the data
 * set's labels, each dropped to the null class with probability {@link #labelDropout}.
 */
public final class DdpmTraining extends ModelTraining<DdpmTraining> {
    private final DdpmSpec spec;
    private double labelDropout = DdpmTask.DEFAULT_LABEL_DROPOUT;

    private DdpmTraining(DdpmSpec spec) {
        this.spec = spec;
    }

    /** A training of a new model of {@code spec}. */
    public static DdpmTraining of(DdpmSpec spec) {
        return new DdpmTraining(spec);
    }

    /** The probability that a label is dropped to the null class (class-conditional models; default 0.1). */
    public DdpmTraining labelDropout(double p) {
        labelDropout = p;
        return this;
    }

    /** Trains and returns the model (EMA weights in place), with a manager of its own: close it. */
    public Ddpm run() {
        DataSet data = dataSet();
        TrainConfig c = config();
        requireFits(data);
        Batcher batcher = Batcher.builder(data).batchSize(c.batchSize()).seed(c.seed()).shuffle(true).dropLast(true)
                .scaling(spec.isImage() ? Batcher.Scaling.MINUS_ONE_TO_ONE : Batcher.Scaling.KEEP).build();
        boolean labels = spec.numClasses() > 0;
        BatchSource source = (step, m) -> {
            Batcher.Batch b = batcher.batch(step);
            return new Batch(b.toNDArray(m), labels ? b.labelsNDArray(m) : null);
        };
        Ddpm ddpm = Ddpm.create(spec, device(), c.seed());
        try {
            ddpm.setHeader(train(new DdpmTask(ddpm, labelDropout), source, c));
            return ddpm;
        } catch (RuntimeException e) {
            ddpm.close();
            throw e;
        }
    }

    /** The data's rows must have the spec's shape; images must be pixels in [0, 1]; a conditional model needs labels in range. */
    private void requireFits(DataSet data) {
        if (!java.util.Arrays.equals(data.rowShape(), spec.rowShape())) {
            throw new InvalidArgumentException("data", data.name(), "has rows of shape " + java.util.Arrays.toString(data.rowShape())
                    + " but the model's rows are " + java.util.Arrays.toString(spec.rowShape()));
        }
        if (spec.isImage()) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (float v : data.data()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (!(lo >= 0 && hi <= 1)) {
                throw new InvalidArgumentException("data", data.name(), "has values in [" + lo + ", " + hi + "]; give image pixels "
                        + "in [0, 1] (they are scaled to [-1, 1] for the model)");
            }
        }
        if (spec.numClasses() > 0) {
            if (!data.hasLabels()) {
                throw new InvalidArgumentException("data", data.name(), "has no labels, which a class-conditional model trains on");
            }
            for (int y : data.labels()) {
                if (y < 0 || y >= spec.numClasses()) {
                    throw new InvalidArgumentException("data", data.name(), "has label " + y + ", outside the model's classes 0.."
                            + (spec.numClasses() - 1));
                }
            }
        }
    }
}
