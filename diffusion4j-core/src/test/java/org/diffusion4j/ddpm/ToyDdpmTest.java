package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
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
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DDPM on 2-D toy data, end to end: the MLP denoiser trained with the toy defaults (T = 100,
 * linear betas 1e-3..0.2, batch 256, lr 1e-3, EMA 0.995, one thread) for 3000 steps on 10,000
 * points (seed 0), then n = 2000 samples (seeds 7, 8 and 9) compared by the energy distance with
 * three fresh sets of n = 2000 points (seeds 101, 103, 105); the floor is the mean distance of
 * those sets to three more (102, 104, 106). A single pair gives a floor that varies threefold, and
 * a single sampling seed a distance that varies as much: DDPM on 8gaussians over ten seeds, 0.78
 * to 2.35 floors (mean 1.27 with the per-sample noise, 1.19 with PyTorch's generator; DDIM-50 eta 1
 * on moons over six seeds: mean 1.71 and 1.62), so the distance is averaged over three seeds and
 * must stay below 2.5 floors.
 *
 * <p>Measured (2 busy cores, about 22-45 s of training per set, sampling 1-6 s), mean ratio to the
 * floor over the three seeds: 8gaussians: floor 0.00169; DDPM 1.73x, DDIM-50 (eta 1) 2.03x.
 * moons: floor 0.00177; DDPM 1.13x, DDIM-50 (eta 1) 1.96x, DDIM-50 (eta 0, deterministic) 1.42x.
 * Deterministic DDIM on 8gaussians lands at 2.0-2.5x (the ODE is more sensitive to the model's
 * error around the tight clusters), so it is only asserted on moons.
 */
class ToyDdpmTest {
    static final int N = 2000;
    static final int STEPS = 3000;
    static final int BATCH = 256;
    static final double LR = 1e-3;

    private static void check(String name, Path dir, boolean deterministicDdim) {
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
                try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(new DdpmTask(ddpm, "{}", null), source, cfg, m))) {
                    t.run();
                }
                System.out.printf(Locale.ROOT, "%s: trained %d steps in %.1f s%n", name, STEPS, (System.nanoTime() - t0) / 1e9);
            }
            // The floor and the distance are each averaged over three fresh data sets: one pair of
            // sets of 2000 points gives a floor that varies by a factor of 3 from seed to seed.
            float[][] fresh = new float[3][];
            double floor = 0;
            for (int i = 0; i < 3; i++) {
                fresh[i] = Toy2D.generate(name, N, 101 + 2 * i).data();
                floor += PointDistances.energy(fresh[i], Toy2D.generate(name, N, 102 + 2 * i).data(), 2) / 3;
            }
            try (Ddpm ddpm = Ddpm.load(dir, true, m)) {
                java.util.List<Sampler> samplers = new java.util.ArrayList<>(java.util.List.of(
                        new DdpmSampler(spec.schedule(), DdpmSampler.Variance.BETA_TILDE, false),
                        new DdimSampler(spec.schedule(), 50, 1.0, false)));
                if (deterministicDdim) {
                    samplers.add(new DdimSampler(spec.schedule(), 50, 0.0, false));
                }
                for (Sampler s : samplers) {
                    long t1 = System.nanoTime();
                    // three sampling seeds, as three fresh data sets: one seed's distance varies by a
                    // factor of 2 (DDIM eta 1 on moons: 1.3 to 2.2 floors over six seeds)
                    double e = 0;
                    for (long seed = 7; seed < 10; seed++) {
                        float[] x;
                        try (NDManager sub = m.newSubManager()) {
                            x = ddpm.sampling(N).batch(N).sampler(s).seed(seed).manager(sub).draw().toFloatArray();
                        }
                        for (float[] f : fresh) {
                            e += PointDistances.energy(x, f, 2) / (3 * fresh.length);
                        }
                    }
                    System.out.printf(Locale.ROOT, "%s %s: n %d, energy %.5f, floor %.5f, ratio %.2f, sampling %.1f s%n",
                            name, s.getClass().getSimpleName(), N, e, floor, e / floor, (System.nanoTime() - t1) / 1e9);
                    assertTrue(e < 2.5 * floor, name + " " + s.getClass().getSimpleName() + ": energy distance " + e
                            + " to fresh data, not below 2.5 times the data-vs-data floor " + floor);
                }
            }
        } finally {
            Runtime.setThreads(threads);
        }
    }

    @Test
    void eightGaussians(@TempDir Path dir) {
        check("8gaussians", dir, false);
    }

    @Test
    void moons(@TempDir Path dir) {
        check("moons", dir, true);
    }
}
