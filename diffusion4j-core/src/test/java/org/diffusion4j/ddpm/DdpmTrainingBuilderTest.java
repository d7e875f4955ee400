package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Toy2D;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.NamedArrays;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;

/** The training builder is the shared loop with the batch size given once, and ends with the EMA weights in the model. */
class DdpmTrainingBuilderTest {
    private static final DdpmSpec POINTS = DdpmSpec.mlp(MlpDenoiser.Config.toy(2), NoiseSchedule.linear(100, 1e-3, 0.2), LossType.L2);

    @Test
    void theBuilderTrainsAsTheLoopDoesAndLeavesTheEmaWeights() {
        DataSet moons = Toy2D.moons(256, 1);
        try (Ddpm built = DdpmTraining.of(POINTS).data(moons).batchSize(32).steps(6).emaDecay(0.9).seed(3).threads(1).run();
                NDManager m = TorchRuntime.newManager();
                Ddpm manual = Ddpm.create(POINTS, m, 3)) {
            // the same run written out by hand with the loop of the CLI
            TrainConfig cfg = TrainConfig.builder().batchSize(32).steps(6).emaDecay(0.9).seed(3).threads(1).sampleEvery(0).build();
            Batcher b = Batcher.builder(moons).batchSize(32).seed(3).shuffle(true).dropLast(true).scaling(Batcher.Scaling.KEEP).build();
            try (Trainer t = new Trainer(new DdpmTask(manual, null, null), (step, mm) -> new Batch(b.batch(step).toNDArray(mm), null), cfg, m)) {
                t.run();
                NamedArrays mine = NamedArrays.parametersOf(built.network());
                NamedArrays ema = t.ema().weights();
                NamedArrays raw = t.parameters();
                boolean differsFromRaw = false;
                for (int i = 0; i < mine.size(); i++) {
                    assertArrayEquals(ema.get(i).toFloatArray(), mine.get(i).toFloatArray(), 0f, mine.name(i));
                    differsFromRaw |= !Arrays.equals(raw.get(i).toFloatArray(), mine.get(i).toFloatArray());
                }
                assertFalse(!differsFromRaw, "the model holds the EMA weights, not the raw ones");
            }
        }
    }

    @Test
    void dataThatDoNotFitAreRefusedInOneLine() {
        DdpmSpec images = DdpmSpec.unet(org.diffusion4j.ddpm.net.UNetConfig.preset("tiny", 1), 1, 8, 8, NoiseSchedule.ddpm(), LossType.L2);
        float[] bytes = new float[4 * 64];
        Arrays.fill(bytes, 255);
        DataSet raw = new DataSet("raw", bytes, 4, new long[] {1, 8, 8});
        assertMessage("data raw has values in [255.0, 255.0]; give image pixels in [0, 1] (they are scaled to [-1, 1] for the model)",
                () -> DdpmTraining.of(images).data(raw).batchSize(2).steps(1).run());
        assertMessage("data toy:moons has rows of shape [2] but the model's rows are [1, 8, 8]",
                () -> DdpmTraining.of(images).data(Toy2D.moons(8, 0)).batchSize(2).steps(1).run());
        assertMessage("data (none) must be given: the data set to train on", () -> DdpmTraining.of(POINTS).steps(1).run());
        assertMessage("steps 0 must be at least 1", () -> DdpmTraining.of(POINTS).data(Toy2D.moons(8, 0)).steps(0).run());
        assertMessage("batchSize 0 must be in 1..65536", () -> DdpmTraining.of(POINTS).data(Toy2D.moons(8, 0)).batchSize(0).steps(1).run());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(InvalidArgumentException.class, call).getMessage());
    }
}
