package org.diffusion4j.examples;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.data.Binarize;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.vae.Vae;
import org.diffusion4j.vae.VaeSpec;
import org.diffusion4j.vae.VaeTraining;

/**
 * Trains a small VAE (an MLP encoder with two heads, mu and log sigma^2, and a Bernoulli
 * decoder) on a few thousand MNIST digits in memory, binarised afresh at every step, then
 * estimates its test negative log-likelihood with importance sampling.
 *
 * <p>Run: {@code TrainVae [STEPS]} from the repository root (it reads data/mnist).
 */
public final class TrainVae {
    private TrainVae() {}

    /** The training losses (negative ELBO per step, nats) and the test NLL estimate. */
    public record Result(List<Float> losses, double testNll) {}

    public static Result run(int steps) {
        VaeSpec spec = VaeSpec.preset("iwae", 1, 28, 28).hidden(100).latent(10).build();
        List<Float> losses = new ArrayList<>();
        try (Vae vae = VaeTraining.of(spec).data(Mnist.train().subset(2000)).batchSize(32).steps(steps).learningRate(1e-3)
                .emaDecay(0.99).seed(4).threads(1).configure(c -> c.gradClip(0)).onStep(r -> losses.add(r.loss())).run();
                NDManager manager = TorchRuntime.newManager()) {
            // k = 50 importance samples: -IW_50, a tighter bound than the ELBO, on binary pixels for a Bernoulli decoder
            DataSet test = Binarize.fixed(Mnist.test().subset(500), 0);
            return new Result(losses, vae.evaluate(test, 50, 100, 0, rows -> { }, manager).nll());
        }
    }

    public static void main(String[] args) {
        Result r = run(args.length > 0 ? Integer.parseInt(args[0]) : 300);
        List<Float> l = r.losses();
        System.out.printf("loss %.1f at the first step, %.1f at the last; test NLL <= %.1f nats%n",
                l.get(0), l.get(l.size() - 1), r.testNll());
    }
}
