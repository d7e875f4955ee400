package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;

/** A Batcher as the training loop's batch source: one copy into native memory per batch. */
final class BatcherSource implements BatchSource {
    private final Batcher batcher;

    BatcherSource(Batcher batcher) {
        this.batcher = batcher;
    }

    @Override
    public Batch batch(long step, NDManager m) {
        Batcher.Batch b = batcher.batch(step);
        return new Batch(b.toNDArray(m), b.labelsNDArray(m));
    }
}
