package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.diffusion4j.InvalidArgumentException;

/**
 * Label dropout of classifier-free guidance training (Ho &amp; Salimans 2022, Algorithm 1): each
 * label is replaced by the null class with probability p, independently, so that one network
 * learns both eps(x, t, y) and eps(x, t, null).
 */
public final class LabelDropout {
    private LabelDropout() {}

    /**
     * The labels with each one set to {@code nullClass} with probability p (uniform draws of the
     * manager's generator, so seeded runs repeat).
     *
     * @param labels int32 [B]
     * @param p the drop probability, in [0, 1]
     * @throws InvalidArgumentException (argument {@code labelDropout}) for p outside [0, 1]
     */
    public static NDArray apply(NDArray labels, double p, int nullClass) {
        check(p);
        NDArray y = labels.toType(DataType.INT32, false);
        if (p == 0) {
            return y;
        }
        NDArray drop = labels.getManager().randomUniform(0f, 1f, labels.getShape()).lt(p);
        return y.mul(drop.logicalNot().toType(DataType.INT32, false)).add(drop.toType(DataType.INT32, false).mul(nullClass));
    }

    /** Checks a drop probability. */
    public static double check(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new InvalidArgumentException("labelDropout", p, "must be a probability in [0, 1]");
        }
        return p;
    }
}
