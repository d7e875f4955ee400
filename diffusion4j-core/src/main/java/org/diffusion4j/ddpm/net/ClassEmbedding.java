package org.diffusion4j.ddpm.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/**
 * The class embedding of a class-conditional U-Net: a table E of K + 1 rows of the time
 * embedding's width, row y for class y and row K for the null class (no class given; classifier-
 * free guidance, Ho &amp; Salimans 2022). The U-Net adds E[y] to the output of the time-embedding
 * MLP, before the SiLU that feeds every residual block. E starts at zero, so a conditional net
 * whose other weights come from an unconditional one computes exactly the unconditional function
 * until training moves E; E[y] still gets gradient from the start (the gradient of the loss with
 * respect to the time embedding).
 *
 * <p>E is stored as {@link #SCALE} times a table T (E = s T): Adam moves each entry of T by
 * about lr per step whatever the gradient's size, and a table starting at zero under the learning
 * rate of a fine-tune (2e-4) moved only to about 0.003 in 1,000 steps of the bundled model's
 * fine-tune, two orders below the time embedding it is added to, and the samples ignored their
 * class (docs/bundled-model.md#the-bundled-conditional-model). s acts as a learning-rate
 * multiplier for E alone.
 *
 * <p>Input: NDList(y) with y [B] integer labels in 0..K. Output: [B, width], E[y] = s one_hot(y) T,
 * so that the gradient reaches exactly the rows used.
 */
public final class ClassEmbedding extends AbstractBlock {
    private static final byte VERSION = 1;

    /** s of E = s T: the class embedding's learning-rate multiplier under Adam. */
    public static final float SCALE = 32f;

    private final int numClasses;
    private final int width;
    private final Parameter table;

    /**
     * @param numClasses K, the classes (>= 1); the table has K + 1 rows
     * @param width the time embedding's width
     */
    public ClassEmbedding(int numClasses, int width) {
        super(VERSION);
        if (numClasses < 1 || width < 1) {
            throw new IllegalArgumentException("a class embedding needs >= 1 class and width >= 1");
        }
        this.numClasses = numClasses;
        this.width = width;
        table = addParameter(Parameter.builder().setName("table").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(numClasses + 1L, width)).optInitializer(Initializer.ZEROS).build());
    }

    public int numClasses() {
        return numClasses;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray y = inputs.head();
        NDArray e = ps.getValue(table, y.getDevice(), training);
        NDArray oneHot = y.toType(DataType.INT64, false).oneHot(numClasses + 1).toType(e.getDataType(), false);
        return new NDList(oneHot.matMul(e).mul(SCALE));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), width)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {}
}
