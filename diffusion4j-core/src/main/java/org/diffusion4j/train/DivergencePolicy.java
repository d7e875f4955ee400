package org.diffusion4j.train;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * What a step whose numbers are not finite does: a non-finite loss stops the run; a finite loss
 * with a non-finite gradient skips that update (weights, Adam and EMA stay as they were), and
 * {@value #MAX_SKIPPED_IN_A_ROW} such steps in a row stop the run; in fp16 a gradient that
 * overflowed the loss scale skips the update and lowers the scale.
 */
final class DivergencePolicy {
    static final int MAX_SKIPPED_IN_A_ROW = 10;

    private final LossScaler scaler;
    private long skipped;
    private int skippedInARow;

    DivergencePolicy(LossScaler scaler) {
        this.scaler = scaler;
    }

    /** The verdict on one step: apply its update, or skip it (and why). */
    record Verdict(boolean update, String skipReason) {}

    /**
     * Judges 0-based {@code step} by its loss and gradient (the gradient's global norm and, to say
     * where it is not finite, its arrays); throws {@link TrainingDivergedException} to stop.
     */
    Verdict judge(float loss, double norm, NamedArrays grads, long step) {
        if (!Float.isFinite(loss)) {
            throw new TrainingDivergedException(String.format(Locale.ROOT, "the loss became %s at step %d", loss, step + 1),
                    step + 1, false);
        }
        if (!Double.isFinite(norm) && scaler.overflow()) {
            // fp16: the scaled gradient overflowed; skip the update with a smaller scale.
            skipped++;
            skippedInARow = 1;
            return new Verdict(false, null); // routine with loss scaling: no reason worth a warning
        }
        if (!Double.isFinite(norm)) {
            String where = firstNonFinite(grads);
            skipped++;
            if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                throw new TrainingDivergedException(String.format(Locale.ROOT,
                        "the gradient was not finite %d steps in a row (last at step %d%s)", skippedInARow, step + 1, where),
                        step + 1, true);
            }
            return new Verdict(false, String.format(Locale.ROOT, "non-finite gradient%s (loss %.4f)", where, loss));
        }
        skippedInARow = 0;
        scaler.good();
        return new Verdict(true, null);
    }

    /** Steps whose update was skipped so far. */
    long skipped() {
        return skipped;
    }

    /** ", first in PARAM" for the first parameter whose gradient is not finite, or "". */
    private static String firstNonFinite(NamedArrays grads) {
        for (int i = 0; i < grads.size(); i++) {
            if (!Double.isFinite(grads.get(i).sum().toType(DataType.FLOAT64, false).getDouble())) {
                return ", first in " + grads.name(i);
            }
        }
        return "";
    }
}
