package org.diffusion4j.examples;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.DdpmTask;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.eval.PointDistances;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;

/**
 * Trains a DDPM on your own 2-D points, in memory (no run folder), and checks its samples
 * against fresh data: here the points of a noisy ring of radius 2, made in plain Java.
 *
 * <p>Run: {@code TrainToy2D [STEPS]}.
 */
public final class TrainToy2D {
    private TrainToy2D() {}

    /** What a run measured: energy distances to fresh data before and after training, and the floor. */
    public record Result(double before, double after, double floor) {}

    /** n points on a ring of radius 2 with Gaussian jitter 0.1, as rows [x, y]. */
    static float[] ring(int n, long seed) {
        Random r = new Random(seed);
        float[] xy = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double a = 2 * Math.PI * r.nextDouble();
            xy[2 * i] = (float) (2 * Math.cos(a) + 0.1 * r.nextGaussian());
            xy[2 * i + 1] = (float) (2 * Math.sin(a) + 0.1 * r.nextGaussian());
        }
        return xy;
    }

    public static Result run(int steps) {
        int n = 1000;
        DataSet train = new DataSet("ring", ring(10_000, 0), 10_000, new long[] {2});
        float[] fresh = ring(n, 1);
        // A small MLP noise predictor; T = 100 steps suit 2-D data.
        DdpmSpec spec = DdpmSpec.mlp(MlpDenoiser.Config.toy(2),
                NoiseSchedule.of(NoiseSchedule.Kind.LINEAR, 100, 1e-3, 0.2), LossType.L2);
        TrainConfig config = TrainConfig.builder().steps(steps).batchSize(256).lr(1e-3).warmupSteps(40)
                .emaDecay(0.99).seed(0).threads(1).build();
        Batcher batcher = Batcher.builder(train).batchSize(256).seed(0).shuffle(true).dropLast(true)
                .scaling(Batcher.Scaling.KEEP).build();
        BatchSource data = (step, m) -> new Batch(batcher.batch(step).toNDArray(m), null);
        try (NDManager manager = Runtime.newManager();
                Ddpm ddpm = Ddpm.create(spec, manager, 0)) {
            double before = distanceOfSamples(ddpm, fresh, manager);
            double[] after = new double[1];
            try (Trainer trainer = new Trainer(new DdpmTask(ddpm, null, null), data, config, manager)) {
                trainer.run();
                // Sample with the EMA weights, as one should.
                trainer.ema().withEmaWeights(trainer.parameters(),
                        () -> after[0] = distanceOfSamples(ddpm, fresh, manager));
            }
            double floor = PointDistances.energy(fresh, ring(n, 2), 2);
            return new Result(before, after[0], floor);
        }
    }

    /** Energy distance between n samples of the model and the data (0 for equal distributions). */
    private static double distanceOfSamples(Ddpm ddpm, float[] data, NDManager manager) {
        try (NDManager sub = manager.newSubManager()) {
            DdpmSampler sampler = new DdpmSampler(ddpm.spec().schedule(), DdpmSampler.Variance.BETA_TILDE, false);
            float[] x = ddpm.sampling(data.length / 2).batch(1000).sampler(sampler).seed(7).manager(sub).draw().toFloatArray();
            return PointDistances.energy(x, data, 2);
        }
    }

    public static void main(String[] args) {
        Result r = run(args.length > 0 ? Integer.parseInt(args[0]) : 400);
        System.out.printf("energy distance to fresh data: %.4f untrained, %.4f trained (two data samples: %.4f)%n",
                r.before(), r.after(), r.floor());
    }
}
