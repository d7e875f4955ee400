package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.StepRecord;
import org.diffusion4j.train.TrainingListener;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Algorithm 1 on the tiny U-Net preset and real MNIST digits. */
class DdpmTrainingTest {
    static final DdpmSpec TINY = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 28, 28,
            NoiseSchedule.ddpm(), LossType.L2);

    static BatchSource source(DataSet d, int batch, long seed) {
        Batcher b = Batcher.builder(d).batchSize(batch).seed(seed).shuffle(true).dropLast(true)
                .scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
        return (step, m) -> new Batch(b.batch(step).toNDArray(m), null);
    }

    private static List<Float> train(Path dir, DataSet d, TrainConfig cfg, boolean resume) {
        try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.create(TINY, m, cfg.seed())) {
            DdpmTask task = new DdpmTask(ddpm, "{}", null);
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, source(d, cfg.batchSize(), cfg.seed()), cfg, m))) {
                if (resume) {
                    t.restore(Checkpoint.read(dir.resolve(Trainer.CHECKPOINT), m));
                }
                return t.run().losses();
            }
        }
    }

    @Test
    void lossFallsClearlyOnAnMnistSubset(@TempDir Path dir) {
        TrainConfig cfg = TrainConfig.builder().steps(200).batchSize(8).lr(1e-3).warmupSteps(20)
                .emaDecay(0.99).seed(1).checkpointEvery(1000).sampleEvery(0).logEvery(1000).build();
        List<Float> l = train(dir, Mnist.train().subset(512), cfg, false);
        double first = l.subList(0, 50).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        double last = l.subList(150, 200).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
        assertTrue(last < first / 2, "mean loss of the first 50 steps " + first + ", of the last 50 " + last);
    }

    @Test
    void unetTrainingStepsLeaveNoArraysBehind(@TempDir Path dir) {
        TrainConfig cfg = TrainConfig.builder().steps(8).batchSize(4).seed(2).checkpointEvery(1000)
                .sampleEvery(0).logEvery(1000).build();
        try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.create(TINY, m, 2)) {
            int[] counts = new int[2];
            DdpmTask task = new DdpmTask(ddpm, "{}", null);
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, source(Mnist.train().subset(32), 4, 2), cfg, m))) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Trainer tr, StepRecord r) {
                        counts[r.step() == 3 ? 0 : 1] = m.getManagedArrays().size();
                    }
                });
                t.run();
            }
            assertEquals(counts[0], counts[1], "native arrays after step 3 and after step 8");
        }
    }

    @Test
    void resumeOfTinyPresetEqualsUninterruptedRun(@TempDir Path a, @TempDir Path b) {
        DataSet d = Mnist.train().subset(64);
        TrainConfig.Builder cfg = TrainConfig.builder().batchSize(8).lr(5e-4).warmupSteps(3).emaDecay(0.9)
                .seed(5).checkpointEvery(1000).sampleEvery(0).logEvery(1000);
        List<Float> whole = train(a, d, cfg.steps(12).build(), false);
        List<Float> first = train(b, d, cfg.steps(5).build(), false);
        List<Float> rest = train(b, d, cfg.steps(12).build(), true);
        assertEquals(5, first.size());
        assertEquals(7, rest.size());
        for (int i = 0; i < 12; i++) {
            float x = i < 5 ? first.get(i) : rest.get(i - 5);
            assertEquals(whole.get(i), x, 1e-5f * Math.max(1, whole.get(i)), "loss at step " + (i + 1));
        }
        // And the EMA weights of both runs agree, so their samples do too.
        try (NDManager m = Runtime.newManager(); Ddpm x = Ddpm.load(a, true, m); Ddpm y = Ddpm.load(b, true, m)) {
            float[] p = x.network().getParameters().valueAt(0).getArray().toFloatArray();
            float[] q = y.network().getParameters().valueAt(0).getArray().toFloatArray();
            for (int i = 0; i < p.length; i++) {
                assertEquals(p[i], q[i], 1e-5f);
            }
        }
    }
}
