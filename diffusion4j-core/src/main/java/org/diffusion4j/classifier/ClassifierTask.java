package org.diffusion4j.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.SplittableRandom;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.TrainingTask;

/**
 * Classifier training as a task of the shared loop: the mean softmax cross-entropy of a labelled
 * batch of images in [0, 1]. {@link #source} gives the batches, optionally augmented by random
 * translations (a pure function of the step, so resumed runs see the same data).
 */
public final class ClassifierTask implements TrainingTask {
    private final Classifier classifier;
    private final String data;

    /** @param data a description of the training data as a JSON object (or null: none), saved in config.json (for resume) */
    public ClassifierTask(Classifier classifier, String data) {
        this.classifier = classifier;
        this.data = data;
    }

    @Override
    public String kind() {
        return Classifier.KIND;
    }

    @Override
    public Block model() {
        return classifier.network();
    }

    @Override
    public NDArray loss(Batch batch) {
        if (batch.labels() == null) {
            throw new UserException("the classifier needs labelled training data");
        }
        NDArray logits = classifier.forward(batch.x(), true).get(0);
        NDArray onehot = batch.labels().toType(DataType.INT64, false).oneHot(classifier.config().classes());
        return logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).neg().mean();
    }

    @Override
    public String describe() {
        JsonObject o = new JsonObject();
        o.add("config", JsonParser.parseString(classifier.config().toJson()));
        if (data != null) {
            o.add("data", JsonParser.parseString(data));
        }
        return o.toString();
    }

    /**
     * Batches of {@code batcher} (Scaling.KEEP, labelled), each image shifted by a random whole
     * number of pixels in [-maxShift, maxShift] along each axis (zero fill) when maxShift > 0.
     */
    public static BatchSource source(Batcher batcher, int maxShift, long seed) {
        return (step, m) -> {
            Batcher.Batch b = batcher.batch(step);
            float[] x = b.x();
            if (maxShift > 0) {
                x = shift(x, b.shape(), maxShift, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step));
            }
            return new Batch(m.create(x, new Shape(b.shape())), b.labelsNDArray(m));
        };
    }

    static float[] shift(float[] x, long[] shape, int maxShift, SplittableRandom rng) {
        int n = (int) shape[0];
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        float[] y = new float[x.length];
        for (int i = 0; i < n; i++) {
            int dy = rng.nextInt(2 * maxShift + 1) - maxShift;
            int dx = rng.nextInt(2 * maxShift + 1) - maxShift;
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * h * w;
                for (int r = 0; r < h; r++) {
                    int sr = r - dy;
                    if (sr < 0 || sr >= h) {
                        continue;
                    }
                    for (int col = 0; col < w; col++) {
                        int sc = col - dx;
                        if (sc >= 0 && sc < w) {
                            y[base + r * w + col] = x[base + sr * w + sc];
                        }
                    }
                }
            }
        }
        return y;
    }
}
