package org.diffusion4j.classifier;

import org.diffusion4j.nn.Layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.io.RecordJson;

/**
 * A small CNN for C x H x W digit images (H, W multiples of 4) with values in [0, 1]:
 * conv(c1)-conv(c1)-maxpool-conv(c2)-conv(c2)-maxpool-dense(hidden)-dense(classes), 3x3 convolutions
 * with padding 1 and ReLU after every layer but the last. The ReLU output of the hidden dense
 * layer is the feature vector FID is computed on.
 * Input NDList(x [B, C, H, W]); output NDList(logits [B, classes], features [B, hidden]).
 */
public final class DigitClassifier extends AbstractBlock {
    private static final byte VERSION = 1;

    /**
     * The configuration, saved with every checkpoint.
     *
     * @param channels image channels
     * @param height image height, a multiple of 4 (two 2x2 poolings)
     * @param width image width, a multiple of 4
     * @param c1 channels of the first two convolutions
     * @param c2 channels of the last two convolutions
     * @param hidden width of the hidden dense layer (the FID features)
     * @param classes number of classes, >= 2
     */
    public record Config(int channels, int height, int width, int c1, int c2, int hidden, int classes) {
        public Config {
            positive("channels", channels);
            multipleOf4("height", height);
            multipleOf4("width", width);
            positive("c1", c1);
            positive("c2", c2);
            positive("hidden", hidden);
            if (classes < 2) {
                throw new InvalidArgumentException("classes", classes, "must be >= 2");
            }
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new InvalidArgumentException(name, value, "must be >= 1");
            }
        }

        private static void multipleOf4(String name, int value) {
            if (value < 4 || value % 4 != 0) {
                throw new InvalidArgumentException(name, value, "must be a multiple of 4 (the classifier pools twice by 2)");
            }
        }

        /** conv16-conv16-pool-conv32-conv32-pool-dense128-dense10 on 1x28x28: 99% on MNIST in minutes of CPU. */
        public static Config mnist() {
            return new Config(1, 28, 28, 16, 32, 128, 10);
        }

        public Shape inputShape(long batch) {
            return new Shape(batch, channels, height, width);
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
    private final Conv2d conv0;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Conv2d conv3;
    private final Linear dense;
    private final Linear out;

    public DigitClassifier(Config config) {
        super(VERSION);
        this.config = config;
        conv0 = addChildBlock("conv0", Layers.conv3(config.c1()));
        conv1 = addChildBlock("conv1", Layers.conv3(config.c1()));
        conv2 = addChildBlock("conv2", Layers.conv3(config.c2()));
        conv3 = addChildBlock("conv3", Layers.conv3(config.c2()));
        dense = addChildBlock("dense", Layers.linear(config.hidden()));
        out = addChildBlock("out", Layers.linear(config.classes()));
    }

    public Config config() {
        return config;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0).mul(2).sub(1);
        x = Activation.relu(conv0.forward(ps, new NDList(x), training).head());
        x = Activation.relu(conv1.forward(ps, new NDList(x), training).head());
        x = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
        x = Activation.relu(conv2.forward(ps, new NDList(x), training).head());
        x = Activation.relu(conv3.forward(ps, new NDList(x), training).head());
        x = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
        x = x.reshape(x.getShape().get(0), -1);
        NDArray features = Activation.relu(dense.forward(ps, new NDList(x), training).head());
        NDArray logits = out.forward(ps, new NDList(features), training).head();
        return new NDList(logits, features);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {new Shape(b, config.classes()), new Shape(b, config.hidden())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = inputShapes[0].get(0);
        int h = config.height();
        int w = config.width();
        conv0.initialize(manager, dataType, new Shape(b, config.channels(), h, w));
        conv1.initialize(manager, dataType, new Shape(b, config.c1(), h, w));
        conv2.initialize(manager, dataType, new Shape(b, config.c1(), h / 2, w / 2));
        conv3.initialize(manager, dataType, new Shape(b, config.c2(), h / 2, w / 2));
        dense.initialize(manager, dataType, new Shape(b, (long) config.c2() * (h / 4) * (w / 4)));
        out.initialize(manager, dataType, new Shape(b, config.hidden()));
    }
}
