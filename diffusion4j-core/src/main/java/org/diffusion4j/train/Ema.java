package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Exponential moving average of the weights (DJL has none): ema = d ema + (1 - d) p, with the
 * usual warm-up of the decay, d_k = min(decay, (1 + k) / (10 + k)) at the k-th update, so that
 * early averages are not dominated by the random initialisation.
 */
public final class Ema implements AutoCloseable {
    private final double decay;
    private final NDManager manager;
    private final NamedArrays shadow;
    private long updates;

    public Ema(NamedArrays params, double decay, NDManager parent) {
        this.decay = decay;
        this.manager = parent.newSubManager();
        this.shadow = params.newLike(manager, true);
    }

    /** The decay used at the next update. */
    public double currentDecay() {
        return Math.min(decay, (1.0 + updates) / (10.0 + updates));
    }

    public void update(NamedArrays params) {
        double d = currentDecay();
        for (int i = 0; i < params.size(); i++) {
            try (NDArray contribution = params.get(i).mul(1 - d)) {
                shadow.get(i).muli(d).addi(contribution);
            }
        }
        updates++;
    }

    public NamedArrays weights() {
        return shadow;
    }

    public long updates() {
        return updates;
    }

    public void restore(NamedArrays weights, long updateCount) {
        shadow.copyFrom(weights);
        updates = updateCount;
    }

    /**
     * Runs {@code action} with the EMA weights copied into {@code params}, then puts the trained
     * weights back (also when the action fails).
     */
    public <E extends Exception> void withEmaWeights(NamedArrays params, ThrowingRunnable<E> action) throws E {
        try (NDManager backupManager = manager.newSubManager()) {
            NamedArrays backup = params.newLike(backupManager, true);
            params.copyFrom(shadow);
            try {
                action.run();
            } finally {
                params.copyFrom(backup);
            }
        }
    }

    /** A runnable that may throw. */
    @FunctionalInterface
    public interface ThrowingRunnable<E extends Exception> {
        void run() throws E;
    }

    @Override
    public void close() {
        manager.close();
    }
}
