package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.NoiseSchedule;

/**
 * The exact noise predictor for data x_0 ~ N(m, s^2 I):
 * eps*(x_t, t) = sqrt(1 - alphaBar_t) (x_t - sqrt(alphaBar_t) m) / (alphaBar_t s^2 + 1 - alphaBar_t).
 */
final class GaussianOracle implements Denoiser {
    final NoiseSchedule schedule;
    final double m;
    final double s;

    GaussianOracle(NoiseSchedule schedule, double m, double s) {
        this.schedule = schedule;
        this.m = m;
        this.s = s;
    }

    @Override
    public NDArray predictEps(NDArray xt, NDArray t, boolean training) {
        int[] steps = t.toIntArray();
        float[] a = new float[steps.length];
        float[] b = new float[steps.length];
        for (int i = 0; i < steps.length; i++) {
            double ab = schedule.alphaBar(steps[i]);
            double k = Math.sqrt(1 - ab) / (ab * s * s + 1 - ab);
            a[i] = (float) k;
            b[i] = (float) (k * Math.sqrt(ab) * m);
        }
        long[] dims = new long[xt.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = steps.length;
        NDArray ka = xt.getManager().create(a).reshape(new Shape(dims));
        NDArray kb = xt.getManager().create(b).reshape(new Shape(dims));
        return xt.mul(ka).sub(kb).toType(DataType.FLOAT32, false);
    }
}
