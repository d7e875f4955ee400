package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The conversions between eps, x_0 and v given x_t = a x_0 + s eps, with a = sqrt(alphaBar_t) and
 * s = sqrt(1 - alphaBar_t), a^2 + s^2 = 1 (math.md, "Prediction types"). Plain maths on arrays;
 * a and s are numbers or per-row arrays shaped to broadcast.
 */
public final class Parameterization {
    private Parameterization() {}

    /** x_0 = (x_t - s eps) / a. */
    public static NDArray x0FromEps(NDArray xt, NDArray eps, NDArray a, NDArray s) {
        return xt.sub(eps.mul(s)).div(a);
    }

    /** eps = (x_t - a x_0) / s. */
    public static NDArray epsFromX0(NDArray xt, NDArray x0, NDArray a, NDArray s) {
        return xt.sub(x0.mul(a)).div(s);
    }

    /** v = a eps - s x_0 (Salimans &amp; Ho 2022, eq. in section 4). */
    public static NDArray v(NDArray x0, NDArray eps, NDArray a, NDArray s) {
        return eps.mul(a).sub(x0.mul(s));
    }

    /** x_0 = a x_t - s v. */
    public static NDArray x0FromV(NDArray xt, NDArray v, NDArray a, NDArray s) {
        return xt.mul(a).sub(v.mul(s));
    }

    /** eps = s x_t + a v. */
    public static NDArray epsFromV(NDArray xt, NDArray v, NDArray a, NDArray s) {
        return xt.mul(s).add(v.mul(a));
    }
}
