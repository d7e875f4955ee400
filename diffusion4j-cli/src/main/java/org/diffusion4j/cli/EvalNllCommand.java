package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.eval.VariationalBound;
import org.diffusion4j.ddpm.Ddpm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The variational bound on the negative log-likelihood, in bits per dimension. */
@Command(name = "nll", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Upper bound on -log p(x) in bits/dim (the DDPM paper's Table 2 unit) on test images: "
            + "L_T + sum_{t=2..T} L_{t-1} (closed-form Gaussian KLs at one x_t per image and t) + L_0 "
            + "(Gaussian discretised over 256 levels), with the per-term breakdown.",
            "It sums all T terms; --t-samples K instead draws K steps uniformly per batch and scales their sum "
                + "by (T-1)/K (unbiased, noisier, K times faster than T).",
            "Example: diffusion4j eval nll --run runs/mnist --subset 256"})
public final class EvalNllCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    DeviceOption device;

    @Option(names = "--run", paramLabel = "RUN_DIR", description = "A run folder or checkpoint (default: the bundled MNIST model).")
    Path run;

    @Option(names = "--data", defaultValue = "mnist:test", description = "Test images (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--subset", defaultValue = "256", description = "Use the first N test images; 0: all (default: ${DEFAULT-VALUE}).")
    int subset;

    @Option(names = "--batch", defaultValue = "64", description = "Images per network call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--t-samples", defaultValue = "0", description = "0: sum all T terms (default); K > 0: unbiased estimate from K random steps per batch.")
    int tSamples;

    @Option(names = "--variance", defaultValue = "beta-tilde", converter = VarianceConverter.class,
            description = "The model's sigma_t^2 (${COMPLETION-CANDIDATES}): betaTilde_t, the posterior variance, or beta_t "
                    + "(default: ${DEFAULT-VALUE}).")
    DdpmSampler.Variance variance;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the x_t draws (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--raw", description = "Use the raw trained weights instead of the EMA weights.")
    boolean raw;

    @Override
    public Integer call() {
        if (subset < 0 || batch < 1 || tSamples < 0) {
            throw new UserException("--subset and --t-samples must be >= 0 and --batch >= 1");
        }
        DataSet d = Datasets.open(data);
        if (!d.isImage()) {
            throw new UserException("bits/dim needs 8-bit images; " + data + " holds vectors");
        }
        if (subset > 0 && subset < d.size()) {
            d = d.subset(subset);
        }
        TorchRuntime.init();
        Path source = run != null ? run : BundledModels.ddpmMnist();
        try (NDManager m = org.diffusion4j.TorchRuntime.newManager(device.require()); Ddpm ddpm = Ddpm.load(source, !raw, m)) {
            if (!ddpm.spec().isImage() || !java.util.Arrays.equals(ddpm.spec().rowShape(), d.rowShape())) {
                throw new UserException("the model takes rows of shape " + java.util.Arrays.toString(ddpm.spec().rowShape())
                        + " but " + data + " has " + java.util.Arrays.toString(d.rowShape()));
            }
            int T = ddpm.spec().schedule().steps();
            VariationalBound vb = new VariationalBound(ddpm.spec().schedule(), variance);
            Batcher batcher = Batcher.builder(d).batchSize(Math.min(batch, d.size())).shuffle(false).dropLast(false)
                    .scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
            long batches = (d.size() + batcher.batchSize() - 1) / batcher.batchSize();
            int perBatch = tSamples > 0 ? Math.min(tSamples, T - 1) + 1 : T;
            double prior = 0, kl = 0, decoder = 0;
            double[] perStep = new double[T + 1];
            Random rng = new Random(seed);
            TorchRuntime.seed(seed);
            long t0 = System.nanoTime();
            try (Progress p = new Progress("nll", 0, batches * perBatch, Progress.Mode.AUTO, perBatch)) {
                for (long b = 0; b < batches; b++) {
                    try (NDManager sub = m.newSubManager()) {
                        NDArray x0 = batcher.batch(b).toNDArray(sub);
                        VariationalBound.Terms terms = vb.evaluate(ddpm.denoiser(), x0, tSamples, rng, perStep);
                        prior += terms.prior().sum().getDouble();
                        kl += terms.kl().sum().getDouble();
                        decoder += terms.decoder().sum().getDouble();
                    }
                    p.update((b + 1) * perBatch, "");
                }
            }
            long dims = d.rowSize();
            int n = d.size();
            double total = prior + kl + decoder;
            System.out.printf(Locale.ROOT, "bound on %d images of %s (%d dims each), %s, sigma^2 = %s, %.0f s:%n", n, data, dims,
                    tSamples > 0 ? tSamples + " random steps per batch" : "all " + T + " terms", variance == DdpmSampler.Variance.BETA ? "beta" : "betaTilde",
                    (System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "  NLL <= %.4f bits/dim  (%.2f nats per image)%n", VariationalBound.bitsPerDim(total / n, dims), total / n);
            System.out.printf(Locale.ROOT, "  L_T              %.5f bits/dim%n", VariationalBound.bitsPerDim(prior / n, dims));
            System.out.printf(Locale.ROOT, "  sum L_{t-1}      %.5f bits/dim%n", VariationalBound.bitsPerDim(kl / n, dims));
            int[][] ranges = {{2, 10}, {11, 100}, {101, 500}, {501, T}};
            for (int[] r : ranges) {
                if (r[0] > T) {
                    continue;
                }
                double s = 0;
                for (int t = r[0]; t <= Math.min(r[1], T); t++) {
                    s += perStep[t];
                }
                System.out.printf(Locale.ROOT, "    t = %4d..%-4d  %.5f bits/dim%n", r[0], Math.min(r[1], T), VariationalBound.bitsPerDim(s / n, dims));
            }
            System.out.printf(Locale.ROOT, "  L_0              %.5f bits/dim%n", VariationalBound.bitsPerDim(decoder / n, dims));
            return 0;
        }
    }
}
