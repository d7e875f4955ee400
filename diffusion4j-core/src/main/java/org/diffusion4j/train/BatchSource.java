package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;

/**
 * Where a training loop gets its data. The batch of a step must be a pure function of the step
 * (and the source's own seed), so that a resumed run sees exactly the data order of an
 * uninterrupted one.
 */
@FunctionalInterface
public interface BatchSource {
    /** The batch for 0-based {@code step}, created in {@code m}. */
    Batch batch(long step, NDManager m);
}
