package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.InvalidArgumentException;

/**
 * Classifier-free guidance (Ho &amp; Salimans 2022, eq. 6) as a plain {@link Denoiser}, so that
 * every sampler uses it unchanged:
 *
 * <pre>  eps~(x_t, t, y) = (1 + w) eps(x_t, t, y) - w eps(x_t, t, null)</pre>
 *
 * <p>w = 0 is the conditional model itself (one network call); w > 0 sharpens the samples
 * towards their class. The conditional and the null predictions come from one network call on
 * the batch doubled: [x; x], [t; t], [y; null]. A row whose label is the null class gets the
 * unconditional prediction whatever w ((1 + w) e - w e = e).
 */
public final class ClassifierFreeGuidance implements Denoiser {
    private final ConditionalDenoiser model;
    private final NDArray labels;
    private final double guidance;

    /**
     * @param model the conditional noise predictor
     * @param labels the class of each row, int32 [B], in 0..K (K: the null class)
     * @param guidance w >= 0
     * @throws InvalidArgumentException (argument {@code guidance}) for a negative or non-finite w
     */
    public ClassifierFreeGuidance(ConditionalDenoiser model, NDArray labels, double guidance) {
        this.model = model;
        this.labels = labels;
        this.guidance = check(guidance);
    }

    /**
     * Checks a guidance weight.
     *
     * @throws InvalidArgumentException (argument {@code guidance}) for a negative or non-finite w
     */
    public static double check(double guidance) {
        if (!(guidance >= 0) || Double.isInfinite(guidance)) {
            throw new InvalidArgumentException("guidance", guidance, "must be a finite number >= 0 (0: no guidance)");
        }
        return guidance;
    }

    public double guidance() {
        return guidance;
    }

    @Override
    public NDArray predictEps(NDArray xt, NDArray t, boolean training) {
        long b = xt.getShape().get(0);
        if (labels.getShape().size() != b) {
            throw new IllegalArgumentException("the batch has " + b + " rows but " + labels.getShape().size() + " labels");
        }
        if (guidance == 0) {
            return model.predictEps(xt, t, labels, training);
        }
        NDArray nulls = labels.getManager().full(new Shape(b), model.nullClass(), DataType.INT32);
        NDArray y = NDArrays.concat(new NDList(labels.toType(DataType.INT32, false), nulls), 0);
        NDArray eps = model.predictEps(NDArrays.concat(new NDList(xt, xt), 0), NDArrays.concat(new NDList(t, t), 0),
                y, training);
        NDList halves = eps.split(2, 0);
        return halves.get(0).mul(1 + guidance).sub(halves.get(1).mul(guidance));
    }
}
