package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * Algorithm 1 with labels: the gradient reaches exactly the class-embedding rows of the labels the
 * net was given (the batch's classes, or the null class where dropped). Adam moves a row only if
 * it got gradient, so every other row stays exactly zero.
 */
class ConditionalTrainingTest {
    static final int K = 4;
    static final DdpmSpec SPEC = DdpmSpec.unet(UNetConfig.preset("tiny", 1).toBuilder().numClasses(K).build(), 1, 8, 8,
            NoiseSchedule.ddpm(), LossType.L2);

    /** Random images, labels 0 and 1 only (or none). */
    static BatchSource source(boolean labels) {
        return (step, m) -> {
            Runtime.seed(100 + step);
            NDArray x = m.randomNormal(new Shape(4, 1, 8, 8));
            return new Batch(x, labels ? m.create(new int[] {0, 1, 1, 0}) : null);
        };
    }

    /** The class-embedding rows' absolute sums after a few steps with this label dropout. */
    static double[] rowsAfterTraining(double labelDropout, boolean labels) {
        TrainConfig cfg = TrainConfig.builder().steps(3).batchSize(4).lr(1e-3).warmupSteps(0).seed(3)
                .checkpointEvery(1000).sampleEvery(0).logEvery(1000).build();
        try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.create(SPEC, m, 3)) {
            try (Trainer t = new Trainer(new DdpmTask(ddpm, "{}", null, labelDropout), source(labels), cfg, m)) {
                t.run();
            }
            List<String> names = ddpm.network().getParameters().keys();
            NDArray table = ddpm.network().getParameters().get(names.get(names.size() - 1)).getArray();
            assertEquals(new Shape(K + 1, 64), table.getShape());
            double[] rows = new double[K + 1];
            for (int r = 0; r <= K; r++) {
                rows[r] = table.get(r).abs().sum().getFloat();
            }
            return rows;
        }
    }

    @Test
    void withoutDropoutOnlyTheBatchsClassesLearn() {
        double[] rows = rowsAfterTraining(0, true);
        assertTrue(rows[0] > 0 && rows[1] > 0, java.util.Arrays.toString(rows));
        assertEquals(0.0, rows[2]);
        assertEquals(0.0, rows[3]);
        assertEquals(0.0, rows[K], "the null class is never seen without dropout");
    }

    @Test
    void withEveryLabelDroppedOnlyTheNullClassLearns() {
        double[] rows = rowsAfterTraining(1, true);
        for (int r = 0; r < K; r++) {
            assertEquals(0.0, rows[r], "class " + r);
        }
        assertTrue(rows[K] > 0);
    }

    @Test
    void unlabelledDataAreRefusedInOneLine() {
        UserException e = assertThrows(UserException.class, () -> rowsAfterTraining(0.1, false));
        assertTrue(e.getMessage().contains("no labels"), e.getMessage());
    }
}
