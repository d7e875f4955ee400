package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Objective;
import org.diffusion4j.diffusion.Prediction;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DDPM that predicts x0 or v, trained briefly on a 2-D Gaussian (mean (1, -0.5), standard
 * deviations (0.5, 0.25)), saved, loaded (the prediction type travels in the spec) and sampled
 * by the unchanged eps-based DDPM sampler: the samples' mean and standard deviations must be the
 * target's. Standard errors of 2,000 samples: 0.011 and 0.006 for the means, 1.6% for the
 * deviations. A model trained this briefly is under-dispersed whatever it predicts; measured
 * (2 cores, about 18 s of training each), sd ratio to the target for coordinates 0 and 1:
 * eps 0.92, 0.92; v 0.93, 0.93; x0 with min-SNR 5: 0.86, 0.83 (x0: 0.86 unweighted, 0.83 after 3,000
 * steps, so it is not a matter of length). The tolerances (0.08 for the means, 20% for the deviations)
 * accept that and still fail for a wrong conversion (the deviations then collapse or explode).
 */
class PredictionTrainingTest {
    static final double[] MEAN = {1.0, -0.5};
    static final double[] SD = {0.5, 0.25};
    static final int N = 2000;

    private static void check(Objective objective, Path dir) {
        int threads = Runtime.threads();
        Runtime.setThreads(1);
        try (NDManager m = Runtime.newManager()) {
            Random r = new Random(0);
            float[] data = new float[10_000 * 2];
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (MEAN[i % 2] + SD[i % 2] * r.nextGaussian());
            }
            DataSet train = new DataSet("gaussian", data, 10_000, new long[] {2});
            DdpmSpec spec = DdpmSpec.mlp(MlpDenoiser.Config.toy(2), NoiseSchedule.linear(100, 1e-3, 0.2), LossType.L2)
                    .withObjective(objective);
            TrainConfig cfg = TrainConfig.builder().steps(1500).batchSize(256).lr(1e-3).warmupSteps(100)
                    .emaDecay(0.995).seed(0).checkpointEvery(100_000).sampleEvery(0).logEvery(100_000).threads(1).build();
            Batcher b = Batcher.builder(train).batchSize(256).seed(0).shuffle(true).dropLast(true)
                    .scaling(Batcher.Scaling.KEEP).build();
            BatchSource source = (step, mm) -> new Batch(b.batch(step).toNDArray(mm), null);
            try (Ddpm ddpm = Ddpm.create(spec, m, 0);
                    RunFolder folder = RunFolder.open(dir);
                    Trainer t = folder.attach(new Trainer(new DdpmTask(ddpm, "{}", null), source, cfg, m))) {
                t.run();
            }
            try (Ddpm ddpm = Ddpm.load(dir, true, m)) {
                assertEquals(objective, ddpm.spec().objective(), "the prediction type is stored with the model");
                float[] x = ddpm.sampling(N).batch(N).sampler(new DdpmSampler(spec.schedule(), DdpmSampler.Variance.BETA_TILDE, false))
                        .seed(7).manager(m).draw().toFloatArray();
                for (int k = 0; k < 2; k++) {
                    double mean = 0;
                    double sq = 0;
                    for (int i = k; i < x.length; i += 2) {
                        mean += x[i] / (double) N;
                        sq += x[i] * (double) x[i] / N;
                    }
                    double sd = Math.sqrt(sq - mean * mean);
                    System.out.printf(Locale.ROOT, "%s: coordinate %d mean %.4f (target %.2f), sd %.4f (target %.2f)%n",
                            objective, k, mean, MEAN[k], sd, SD[k]);
                    assertEquals(MEAN[k], mean, 0.08, objective + " mean of coordinate " + k);
                    assertEquals(SD[k], sd, 0.20 * SD[k], objective + " standard deviation of coordinate " + k);
                }
            }
        } finally {
            Runtime.setThreads(threads);
        }
    }

    @Test
    void x0PredictionWithMinSnrSamplesTheGaussian(@TempDir Path dir) {
        check(new Objective(Prediction.X0, 5), dir);
    }

    @Test
    void vPredictionSamplesTheGaussian(@TempDir Path dir) {
        check(new Objective(Prediction.V, 0), dir);
    }
}
