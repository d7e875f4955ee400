package org.diffusion4j.examples;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.Binarize;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.train.Batch;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.vae.Vae;
import org.diffusion4j.vae.VaeSpec;
import org.diffusion4j.vae.VaeTask;

/**
 * Trains a small VAE (an MLP encoder with two heads, mu and log sigma^2, and a Bernoulli
 * decoder) on a few thousand binarised MNIST digits in memory, then estimates its test
 * negative log-likelihood with importance sampling.
 *
 * <p>Run: {@code TrainVae [STEPS]} from the repository root (it reads data/mnist).
 */
public final class TrainVae {
    private TrainVae() {}

    /** The training losses (negative ELBO per step, nats) and the test NLL estimate. */
    public record Result(List<Float> losses, double testNll) {}

    public static Result run(int steps) {
        VaeSpec spec = VaeSpec.preset("iwae", 1, 28, 28).hidden(100).latent(10).build();
        TrainConfig config = TrainConfig.builder().steps(steps).batchSize(32).lr(1e-3).warmupSteps(0).gradClip(0)
                .emaDecay(0.99).seed(4).threads(1).build();
        DataSet train = Mnist.train().subset(2000);
        Batcher batcher = Batcher.builder(train).batchSize(32).seed(4).binarize(true).build();
        BatchSource data = (step, m) -> {
            Batcher.Batch b = batcher.batch(step);
            return new Batch(b.toNDArray(m), b.labelsNDArray(m));
        };
        try (NDManager manager = Runtime.newManager();
                Vae vae = Vae.create(spec, manager, 4)) {
            VaeTask task = new VaeTask(vae, "{}", null);
            try (Trainer trainer = new Trainer(task, task.source(data), config, manager)) {
                List<Float> losses = trainer.run().losses();
                // k = 50 importance samples: -IW_50, a tighter bound than the ELBO.
                DataSet test = Binarize.fixed(Mnist.test().subset(500), 0); // binary pixels for a Bernoulli decoder
                Vae.Evaluation e = vae.evaluate(test, 50, 100, 0, rows -> { }, manager);
                return new Result(losses, e.nll());
            }
        }
    }

    public static void main(String[] args) {
        Result r = run(args.length > 0 ? Integer.parseInt(args[0]) : 300);
        List<Float> l = r.losses();
        System.out.printf("loss %.1f at the first step, %.1f at the last; test NLL <= %.1f nats%n",
                l.get(0), l.get(l.size() - 1), r.testNll());
    }
}
