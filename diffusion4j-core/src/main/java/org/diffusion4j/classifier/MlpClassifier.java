package org.diffusion4j.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.diffusion4j.nn.Dropout;
import org.diffusion4j.nn.Layers;

/**
 * The "mlp" digit classifier: the C*H*W pixels flattened, dense(c1)-ReLU-dropout-dense(hidden)-ReLU-
 * dropout-dense(classes). No convolution and no weight sharing across positions, so it sees the
 * digits differently from {@link ConvClassifier}. The ReLU output of the second dense layer
 * (before dropout, which only acts while training) is the feature vector.
 */
public final class MlpClassifier extends DigitClassifier {
    private static final byte VERSION = 1;

    private final Linear dense0;
    private final Linear dense1;
    private final Linear out;

    MlpClassifier(Config config) {
        super(VERSION, config);
        dense0 = addChildBlock("dense0", Layers.linear(config.c1()));
        dense1 = addChildBlock("dense1", Layers.linear(config.hidden()));
        out = addChildBlock("out", Layers.linear(config.classes()));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = scaleInput(inputs.get(0));
        x = x.reshape(x.getShape().get(0), -1);
        NDArray h = Activation.relu(dense0.forward(ps, new NDList(x), training).head());
        h = dropout(h, training);
        NDArray features = Activation.relu(dense1.forward(ps, new NDList(h), training).head());
        NDArray logits = out.forward(ps, new NDList(dropout(features, training)), training).head();
        return new NDList(logits, features);
    }

    private NDArray dropout(NDArray h, boolean training) {
        return training ? Dropout.apply(h, (float) config().dropout()) : h;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Config c = config();
        long b = inputShapes[0].get(0);
        dense0.initialize(manager, dataType, new Shape(b, (long) c.channels() * c.height() * c.width()));
        dense1.initialize(manager, dataType, new Shape(b, c.c1()));
        out.initialize(manager, dataType, new Shape(b, c.hidden()));
    }
}
