package org.diffusion4j.train;

/**
 * Dynamic loss scaling for float16 training (Micikevicius et al. 2018, as PyTorch's GradScaler):
 * the loss is multiplied by S before the backward pass so that small gradients do not flush to
 * zero in float16, and the gradients are divided by S before the update. A step whose gradient
 * overflowed is skipped and S is halved; after {@value #GROWTH_INTERVAL} good steps in a row S
 * is doubled. Disabled (S = 1, never changes) in float32.
 */
final class LossScaler {
    static final double INITIAL = 65536.0;
    static final long GROWTH_INTERVAL = 1000;
    static final double MIN = 1.0;

    private final boolean enabled;
    private double scale;
    private long goodSteps;

    LossScaler(boolean enabled) {
        this.enabled = enabled;
        this.scale = enabled ? INITIAL : 1.0;
    }

    boolean enabled() {
        return enabled;
    }

    double scale() {
        return scale;
    }

    long goodSteps() {
        return goodSteps;
    }

    void restore(double scale, long goodSteps) {
        if (enabled) {
            this.scale = scale;
            this.goodSteps = goodSteps;
        }
    }

    /** Records a step whose unscaled gradient was finite. */
    void good() {
        if (enabled && ++goodSteps >= GROWTH_INTERVAL) {
            scale *= 2;
            goodSteps = 0;
        }
    }

    /** Records an overflow; false if the scale cannot go lower (the gradient itself is not finite). */
    boolean overflow() {
        goodSteps = 0;
        if (!enabled || scale <= MIN) {
            return false;
        }
        scale = Math.max(MIN, scale / 2);
        return true;
    }
}
