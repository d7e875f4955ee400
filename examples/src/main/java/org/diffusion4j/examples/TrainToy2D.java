package org.diffusion4j.examples;

import java.util.Random;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.DdpmTraining;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.eval.PointDistances;

/**
 * Trains a DDPM on your own 2-D points, in memory (no run folder), and checks its samples
 * against fresh data: here the points of a noisy ring of radius 2, made in plain Java. The
 * trained model comes out with its EMA weights in place and samples with Algorithm 2.
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
        DataSet train = new DataSet("ring", ring(10_000, 0), 10_000, new long[] {2});
        // A small MLP noise predictor; T = 100 steps suit 2-D data.
        DdpmSpec spec = DdpmSpec.mlp(MlpDenoiser.Config.toy(2), NoiseSchedule.linear(100, 1e-3, 0.2), LossType.L2);
        float[] fresh = ring(1000, 1);
        try (Ddpm untrained = Ddpm.create(spec, 0);
                Ddpm ddpm = DdpmTraining.of(spec).data(train).batchSize(256).steps(steps).learningRate(1e-3).warmupSteps(40)
                        .emaDecay(0.99).threads(1).run()) {
            double before = PointDistances.energy(untrained.sampling(1000).batch(1000).seed(7).draw().toFloatArray(), fresh, 2);
            double after = PointDistances.energy(ddpm.sampling(1000).batch(1000).seed(7).draw().toFloatArray(), fresh, 2);
            return new Result(before, after, PointDistances.energy(fresh, ring(1000, 2), 2));
        }
    }

    public static void main(String[] args) {
        Result r = run(args.length > 0 ? Integer.parseInt(args[0]) : 400);
        System.out.printf("energy distance to fresh data: %.4f untrained, %.4f trained (two data samples: %.4f)%n",
                r.before(), r.after(), r.floor());
    }
}
