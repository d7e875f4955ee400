package org.diffusion4j.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.diffusion4j.nn.Layers;

/**
 * The "cnn" digit classifier (the bundled one), for H, W multiples of 4:
 * conv(c1)-conv(c1)-maxpool-conv(c2)-conv(c2)-maxpool-dense(hidden)-dense(classes), 3x3 convolutions
 * with padding 1 and ReLU after every layer but the last. The ReLU output of the hidden dense
 * layer is the feature vector. Its parameter names are those of the files written before the
 * architecture was stored (conv0 ... conv3, dense, out).
 */
public final class ConvClassifier extends DigitClassifier {
    private static final byte VERSION = 1;

    private final Conv2d conv0;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Conv2d conv3;
    private final Linear dense;
    private final Linear out;

    ConvClassifier(Config config) {
        super(VERSION, config);
        conv0 = addChildBlock("conv0", Layers.conv3(config.c1()));
        conv1 = addChildBlock("conv1", Layers.conv3(config.c1()));
        conv2 = addChildBlock("conv2", Layers.conv3(config.c2()));
        conv3 = addChildBlock("conv3", Layers.conv3(config.c2()));
        dense = addChildBlock("dense", Layers.linear(config.hidden()));
        out = addChildBlock("out", Layers.linear(config.classes()));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = scaleInput(inputs.get(0));
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
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Config c = config();
        long b = inputShapes[0].get(0);
        int h = c.height();
        int w = c.width();
        conv0.initialize(manager, dataType, new Shape(b, c.channels(), h, w));
        conv1.initialize(manager, dataType, new Shape(b, c.c1(), h, w));
        conv2.initialize(manager, dataType, new Shape(b, c.c1(), h / 2, w / 2));
        conv3.initialize(manager, dataType, new Shape(b, c.c2(), h / 2, w / 2));
        dense.initialize(manager, dataType, new Shape(b, (long) c.c2() * (h / 4) * (w / 4)));
        out.initialize(manager, dataType, new Shape(b, c.hidden()));
    }
}
