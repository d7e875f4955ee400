package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Locale;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Toy2D;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.eval.PointDistances;
import org.diffusion4j.nn.MlpDenoiser;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.Progress;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DDPM on 2-D toy data, end to end: the MLP denoiser trained with the toy defaults (T = 100,
 * linear betas 1e-3..0.2, 1500 steps of batch 256, lr 1e-3, EMA 0.995, one thread) on 10,000
 * points (seed 0), then n = 2000 samples (seed 7) compared with n = 2000 fresh points (seed 101)
 * by the energy distance; the floor is fresh (seed 101) vs fresh (seed 102).
 *
 * <p>Measured (2 busy cores; about 25 s of training each, sampling 2-6 s):
 * 8gaussians: floor 0.00283; DDPM 0.00415 (1.47x), DDIM-50 0.00444 (1.57x).
 * moons: floor 0.00155; DDPM 0.00155 (1.00x), DDIM-50 0.00175 (1.13x).
 */
class ToyDdpmTest {
    static final int N = 2000;
    static final int STEPS = 1500;
    static final int BATCH = 256;
    static final double LR = 1e-3;

    private static void check(String name, Path dir) {
        int threads = Runtime.threads();
        Runtime.setThreads(1);
        try (NDManager m = Runtime.newManager()) {
            DataSet train = Toy2D.generate(name, 10_000, 0);
            DdpmSpec spec = DdpmSpec.mlp(MlpDenoiser.Config.toy(2), NoiseSchedule.of(NoiseSchedule.Kind.LINEAR, 100, 1e-3, 0.2), LossType.L2);
            TrainConfig cfg = TrainConfig.builder().steps(STEPS).batchSize(BATCH).lr(LR).warmupSteps(100)
                    .emaDecay(0.995).seed(0).checkpointEvery(100_000).sampleEvery(0).logEvery(100_000).threads(1).build();
            Batcher b = Batcher.builder(train).batchSize(BATCH).seed(0).shuffle(true).dropLast(true)
                    .scaling(Batcher.Scaling.KEEP).build();
            BatchSource source = (step, mm) -> new Batch(b.batch(step).toNDArray(mm), null);
            try (Ddpm ddpm = Ddpm.create(spec, m, 0)) {
                long t0 = System.nanoTime();
                try (Trainer t = new Trainer(new DdpmTask(ddpm, new JsonObject(), null), source, cfg, dir, m)
                        .progress(Progress.Mode.QUIET)) {
                    t.run();
                }
                System.out.printf(Locale.ROOT, "%s: trained %d steps in %.1f s%n", name, STEPS, (System.nanoTime() - t0) / 1e9);
            }
            float[] fresh = Toy2D.generate(name, N, 101).data();
            float[] other = Toy2D.generate(name, N, 102).data();
            double floor = PointDistances.energy(fresh, other, 2);
            try (Ddpm ddpm = Ddpm.load(dir, true, m)) {
                for (Sampler s : new Sampler[] {new DdpmSampler(spec.schedule(), DdpmSampler.Variance.BETA_TILDE, false),
                        new DdimSampler(spec.schedule(), 50, 0, false)}) {
                    long t1 = System.nanoTime();
                    float[] x;
                    try (NDManager sub = m.newSubManager()) {
                        x = ddpm.sample(N, N, s, 7, StepListener.NONE, sub).toFloatArray();
                    }
                    double e = PointDistances.energy(x, fresh, 2);
                    System.out.printf(Locale.ROOT, "%s %s: n %d, energy %.5f, floor %.5f, ratio %.2f, sampling %.1f s%n",
                            name, s.getClass().getSimpleName(), N, e, floor, e / floor, (System.nanoTime() - t1) / 1e9);
                    assertTrue(e < 2 * floor, name + " " + s.getClass().getSimpleName() + ": energy distance " + e
                            + " to fresh data, not below twice the data-vs-data floor " + floor);
                }
            }
        } finally {
            Runtime.setThreads(threads);
        }
    }

    @Test
    void eightGaussians(@TempDir Path dir) {
        check("8gaussians", dir);
    }

    @Test
    void moons(@TempDir Path dir) {
        check("moons", dir);
    }
}
