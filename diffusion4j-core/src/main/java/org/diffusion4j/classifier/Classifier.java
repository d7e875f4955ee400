package org.diffusion4j.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;
import org.diffusion4j.train.Trainer;

/**
 * A digit classifier ready to use: its configuration and network with weights. Create a fresh
 * one to train, or load one from a run folder, a checkpoint or a weights-only file (the bundled
 * models/classifier-mnist.safetensors and models/classifier-mnist-mlp.safetensors) to compute
 * features and class probabilities of images in [0, 1]. The configuration in the file names the
 * architecture ({@link DigitClassifier.Config#arch()}); files without it are the CNN.
 *
 * <p>Thread-safety: one thread at a time (creating one seeds PyTorch's global generator).
 */
public final class Classifier implements AutoCloseable {
    public static final String KIND = "classifier";

    /** The features and class probabilities of a set of images, one row per image. */
    public record Outputs(double[][] features, double[][] probabilities) {
        public int size() {
            return features.length;
        }

        /** Index of the most probable class of each image. */
        public int[] predictions() {
            int[] p = new int[probabilities.length];
            for (int i = 0; i < p.length; i++) {
                double best = -1;
                for (int k = 0; k < probabilities[i].length; k++) {
                    if (probabilities[i][k] > best) {
                        best = probabilities[i][k];
                        p[i] = k;
                    }
                }
            }
            return p;
        }
    }

    private final DigitClassifier.Config config;
    private final NDManager manager;
    private final DigitClassifier network;
    private final ParameterStore store;

    private Classifier(DigitClassifier.Config config, NDManager parent, long seed) {
        this.config = config;
        this.manager = parent.newSubManager();
        Runtime.seed(seed);
        this.network = DigitClassifier.create(config);
        network.initialize(manager, DataType.FLOAT32, config.inputShape(1));
        this.store = new ParameterStore(manager, false);
    }

    /** A new classifier with weights initialised from {@code seed}. */
    public static Classifier create(DigitClassifier.Config config, NDManager parent, long seed) {
        return new Classifier(config, parent, seed);
    }

    /**
     * Loads a classifier from a run folder (its checkpoint.bin), a checkpoint or a weights-only
     * file, with the EMA weights when present.
     */
    public static Classifier load(Path runOrFile, NDManager parent) {
        Path file = Files.isDirectory(runOrFile) ? runOrFile.resolve(Trainer.CHECKPOINT) : runOrFile;
        try (NDManager tmp = parent.newSubManager()) {
            Checkpoint c = Checkpoint.read(file, tmp).requireKind(KIND, file);
            DigitClassifier.Config cfg;
            try {
                JsonObject model = JsonParser.parseString(c.modelJson()).getAsJsonObject();
                cfg = DigitClassifier.Config.fromJson(model.get("config").toString());
            } catch (RuntimeException e) {
                throw new UserException(file + ": the checkpoint header has no valid classifier configuration"
                        + (e instanceof UserException ? " (" + e.getMessage() + ")" : ""));
            }
            Classifier cl = new Classifier(cfg, parent, 0);
            NamedArrays weights = c.section(c.has("ema") ? "ema" : "model");
            NamedArrays params = NamedArrays.parametersOf(cl.network);
            params.checkCompatible(weights, file.toString());
            params.copyFrom(weights);
            return cl;
        }
    }

    /** Writes a weights-only file: the checkpoint's header and its EMA weights as section "ema". */
    public static void exportWeights(Path checkpoint, Path out, NDManager parent) {
        try (NDManager tmp = parent.newSubManager()) {
            Checkpoint c = Checkpoint.read(checkpoint, tmp).requireKind(KIND, checkpoint);
            Map<String, NamedArrays> sections = new LinkedHashMap<>();
            sections.put("ema", c.section(c.has("ema") ? "ema" : "model"));
            new Checkpoint(c.header(), sections).write(out);
        }
    }

    public DigitClassifier.Config config() {
        return config;
    }

    public DigitClassifier network() {
        return network;
    }

    /** Logits [B, classes] and features [B, hidden] of images x [B, C, H, W] in [0, 1] (inference mode). */
    public NDList forward(NDArray x) {
        return forward(x, false);
    }

    /** The same in training or inference mode (training mode applies the MLP's dropout; the CNN has none). */
    public NDList forward(NDArray x, boolean training) {
        return network.forward(store, new NDList(x), training);
    }

    /** The row shape the classifier takes, {C, H, W}. */
    public long[] rowShape() {
        return new long[] {config.channels(), config.height(), config.width()};
    }

    /** Throws a UserException unless images of {@code rowShape} fit this classifier. */
    public void requireRowShape(long[] rowShape, String what) {
        if (!Arrays.equals(rowShape, rowShape())) {
            throw new UserException(what + " holds images of shape " + Arrays.toString(rowShape)
                    + " but the classifier takes " + Arrays.toString(rowShape())
                    + " (grayscale " + config.height() + "x" + config.width() + ")");
        }
    }

    /** Features and probabilities of every image of {@code d} (values in [0, 1]), in batches. */
    public Outputs evaluate(DataSet d, int batch) {
        requireRowShape(d.rowShape(), d.name());
        return evaluate(d.data(), d.size(), batch);
    }

    /** Features and probabilities of n images stored row-major in {@code data}, in batches. */
    public Outputs evaluate(float[] data, int n, int batch) {
        int rs = config.channels() * config.height() * config.width();
        if ((long) n * rs != data.length) {
            throw new IllegalArgumentException(data.length + " values for " + n + " images of " + rs);
        }
        double[][] features = new double[n][];
        double[][] probs = new double[n][];
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = sub.create(Arrays.copyOfRange(data, from * rs, (from + b) * rs), config.inputShape(b));
                NDList o = forward(x);
                float[] p = o.get(0).softmax(1).toFloatArray();
                float[] f = o.get(1).toFloatArray();
                for (int i = 0; i < b; i++) {
                    features[from + i] = toDouble(f, i * config.hidden(), config.hidden());
                    probs[from + i] = toDouble(p, i * config.classes(), config.classes());
                }
            }
        }
        return new Outputs(features, probs);
    }

    /** Fraction of images of a labelled set classified correctly. */
    public double accuracy(DataSet d, int batch) {
        if (!d.hasLabels()) {
            throw new UserException(d.name() + " has no labels; accuracy needs a labelled test set");
        }
        int[] pred = evaluate(d, batch).predictions();
        int right = 0;
        for (int i = 0; i < pred.length; i++) {
            if (pred[i] == d.label(i)) {
                right++;
            }
        }
        return right / (double) pred.length;
    }

    private static double[] toDouble(float[] v, int off, int len) {
        double[] r = new double[len];
        for (int i = 0; i < len; i++) {
            r[i] = v[off + i];
        }
        return r;
    }

    @Override
    public void close() {
        manager.close();
    }
}
