package org.diffusion4j.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.io.RecordJson;

/**
 * A digit classifier network for C x H x W images with values in [0, 1], of one of two
 * architectures that share no weights (docs/evaluation.md, "The digit classifier"):
 * {@link ConvClassifier} ("cnn", the bundled one) and {@link MlpClassifier} ("mlp"). Both map
 * NDList(x [B, C, H, W]) to NDList(logits [B, classes], features [B, hidden]); the features are
 * the ReLU output of the penultimate layer, which FID is computed on. {@link #create} builds the
 * network that a {@link Config} names.
 */
public abstract class DigitClassifier extends AbstractBlock {
    /** The 2-conv-stage CNN: conv(c1)-conv(c1)-pool-conv(c2)-conv(c2)-pool-dense(hidden)-dense(classes). */
    public static final String CNN = "cnn";
    /** The MLP on the pixels: dense(c1)-dense(hidden)-dense(classes) with dropout after each hidden layer. */
    public static final String MLP = "mlp";
    /** The architectures, the default first. */
    public static final List<String> ARCHS = List.of(CNN, MLP);

    /**
     * The configuration, saved with every checkpoint. Files written before the architecture was
     * stored have neither {@code arch} nor {@code dropout}: they read as the CNN without dropout.
     *
     * @param arch the architecture, {@link #CNN} or {@link #MLP} (null: CNN)
     * @param channels image channels
     * @param height image height (CNN: a multiple of 4, two 2x2 poolings)
     * @param width image width (CNN: a multiple of 4)
     * @param c1 CNN: channels of the first two convolutions; MLP: width of the first dense layer
     * @param c2 CNN: channels of the last two convolutions; MLP: unused, 0
     * @param hidden width of the penultimate dense layer (the FID features)
     * @param classes number of classes, >= 2
     * @param dropout MLP: dropout rate after each hidden layer while training, in [0, 1); CNN: 0
     */
    public record Config(String arch, int channels, int height, int width, int c1, int c2, int hidden, int classes,
            double dropout) {
        public Config {
            arch = arch == null ? CNN : arch.strip().toLowerCase(Locale.ROOT);
            if (!ARCHS.contains(arch)) {
                throw new InvalidArgumentException("arch", arch, "must be one of " + String.join(", ", ARCHS));
            }
            positive("channels", channels);
            positive("height", height);
            positive("width", width);
            positive("c1", c1);
            positive("hidden", hidden);
            if (classes < 2) {
                throw new InvalidArgumentException("classes", classes, "must be >= 2");
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new InvalidArgumentException("dropout", dropout, "must be in [0, 1)");
            }
            if (arch.equals(CNN)) {
                multipleOf4("height", height);
                multipleOf4("width", width);
                positive("c2", c2);
                if (dropout != 0) {
                    throw new InvalidArgumentException("dropout", dropout, "must be 0 for the cnn (it has no dropout)");
                }
            } else if (c2 != 0) {
                throw new InvalidArgumentException("c2", c2, "must be 0 for the mlp (it has two hidden layers, c1 and hidden)");
            }
        }

        /** The CNN of the given shape: the form of the configurations written before {@code arch} existed. */
        public Config(int channels, int height, int width, int c1, int c2, int hidden, int classes) {
            this(CNN, channels, height, width, c1, c2, hidden, classes, 0);
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new InvalidArgumentException(name, value, "must be >= 1");
            }
        }

        private static void multipleOf4(String name, int value) {
            if (value < 4 || value % 4 != 0) {
                throw new InvalidArgumentException(name, value, "must be a multiple of 4 (the cnn pools twice by 2)");
            }
        }

        /**
         * The network {@code classifier train --arch} trains for 10 classes of C x H x W images:
         * cnn conv16-conv16-pool-conv32-conv32-pool-dense128-dense10 (the bundled classifier), or
         * mlp dense512-dense256-dense10 with dropout 0.2 (models/classifier-mnist-mlp.safetensors).
         */
        public static Config preset(String arch, int channels, int height, int width) {
            String a = arch == null ? CNN : arch.strip().toLowerCase(Locale.ROOT);
            if (a.equals(MLP)) {
                return new Config(MLP, channels, height, width, 512, 0, 256, 10, 0.2);
            }
            return new Config(a, channels, height, width, 16, 32, 128, 10, 0);
        }

        /** The bundled classifier's CNN on 1x28x28: 99% on MNIST in minutes of CPU. */
        public static Config mnist() {
            return preset(CNN, 1, 28, 28);
        }

        public Shape inputShape(long batch) {
            return new Shape(batch, channels, height, width);
        }

        /** A short description: "cnn conv16-conv16-pool-conv32-conv32-pool-dense128-dense10". */
        public String describe() {
            return arch.equals(CNN)
                    ? String.format(Locale.ROOT, "cnn conv%d-conv%d-pool-conv%d-conv%d-pool-dense%d-dense%d",
                            c1, c1, c2, c2, hidden, classes)
                    : String.format(Locale.ROOT, "mlp dense%d-dense%d-dense%d, dropout %s", c1, hidden, classes, dropout);
        }

        /** The JSON form: the components by name. */
        public String toJson() {
            return RecordJson.toJson(this);
        }

        /** Parses {@link #toJson()} output (also that of the class this record replaced: same names). */
        public static Config fromJson(String json) {
            return RecordJson.fromJson(json, Config.class, "the classifier configuration");
        }
    }

    private final Config config;

    protected DigitClassifier(byte version, Config config) {
        super(version);
        this.config = config;
    }

    /** The network {@code config} names, uninitialised. */
    public static DigitClassifier create(Config config) {
        return config.arch().equals(MLP) ? new MlpClassifier(config) : new ConvClassifier(config);
    }

    public Config config() {
        return config;
    }

    /** Images in [0, 1] to the networks' input range [-1, 1]. */
    protected static NDArray scaleInput(NDArray x) {
        return x.mul(2).sub(1);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {new Shape(b, config.classes()), new Shape(b, config.hidden())};
    }
}
