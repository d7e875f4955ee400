package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Adam (Kingma &amp; Ba 2015) with state that can be saved and restored exactly, written here
 * because DJL's optimizer state cannot be checkpointed. Matches torch.optim.Adam:
 * m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 * p -= lr * (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps).
 */
public final class Adam implements AutoCloseable {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final NDManager manager;
    private NamedArrays m;
    private NamedArrays v;
    private long updates;

    public Adam(NamedArrays params, NDManager parent) {
        this(params, parent, 0.9, 0.999, 1e-8);
    }

    public Adam(NamedArrays params, NDManager parent, double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.manager = parent.newSubManager();
        this.m = params.newLike(manager, false);
        this.v = params.newLike(manager, false);
    }

    /**
     * One update of every parameter with its gradient times {@code gradScale} (the global-norm
     * clipping factor). Call outside any gradient collector.
     */
    public void step(NamedArrays params, NamedArrays grads, double lr, double gradScale) {
        updates++;
        double bc1 = 1 - Math.pow(beta1, updates);
        double bc2 = 1 - Math.pow(beta2, updates);
        for (int i = 0; i < params.size(); i++) {
            // Results of an op live in the manager of its first operand: temporaries computed
            // from the long-lived moments are closed here, those from the gradient die with it.
            NDArray g = grads.get(i);
            NDArray mi = m.get(i);
            NDArray vi = v.get(i);
            mi.muli(beta1).addi(g.mul((1 - beta1) * gradScale));
            vi.muli(beta2).addi(g.square().muli((1 - beta2) * gradScale * gradScale));
            try (NDArray vHat = vi.div(bc2);
                    NDArray denom = vHat.sqrt().addi(eps);
                    NDArray update = mi.div(denom).muli(lr / bc1)) {
                params.get(i).subi(update);
            }
        }
    }

    public long updates() {
        return updates;
    }

    public NamedArrays firstMoments() {
        return m;
    }

    public NamedArrays secondMoments() {
        return v;
    }

    /** Restores the moments and the update count from a checkpoint. */
    public void restore(NamedArrays firstMoments, NamedArrays secondMoments, long updateCount) {
        m.copyFrom(firstMoments);
        v.copyFrom(secondMoments);
        updates = updateCount;
    }

    @Override
    public void close() {
        manager.close();
    }
}
