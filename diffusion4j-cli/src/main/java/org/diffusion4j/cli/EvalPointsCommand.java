package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Npy;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.diffusion.Timesteps;
import org.diffusion4j.eval.PointDistances;
import org.diffusion4j.ddpm.Ddpm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The energy distance of samples to fresh data, beside the floor: the distance between two
 * independent data samples of the same size.
 */
@Command(name = "points", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Energy distance (V-statistic, Euclidean) between samples of a DDPM trained on points and fresh "
            + "data, and the data-vs-data floor at the same n: a model is good when its distance is near the floor.",
            "Both are means over 5 fresh data sets (toy:* drawn with seeds --seed+1.., a file's disjoint random rows).",
            "Example: diffusion4j eval points --run runs/moons --n 2000",
            "         diffusion4j eval points --npy samples.npy --data toy:moons"})
public final class EvalPointsCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    DeviceOption device;

    /** Independent data sets the distances are averaged over. */
    static final int PAIRS = 5;

    @Option(names = "--run", paramLabel = "RUN_DIR", description = "A run folder or checkpoint of a DDPM trained on points.")
    Path run;

    @Option(names = "--npy", paramLabel = "FILE", description = "Samples [N, D] (e.g. from 'sample --npy') instead of --run.")
    Path npy;

    @Option(names = "--data", description = "Data to compare with (default with --run: the run's own data; needed with --npy).")
    String data;

    @Option(names = "--n", defaultValue = "2000", description = "Points per set (default: ${DEFAULT-VALUE}; O(n^2) time).")
    int n;

    @Option(names = "--sampler", defaultValue = "ddpm", converter = SamplerKindConverter.class, description = "The sampler "
            + "(${COMPLETION-CANDIDATES}): ddpm is Algorithm 2 (all T steps, or --steps S respaced), ddim, dpm++2m, dpm++2m-sde and heun "
            + "take --steps steps, as in 'sample' (default: ${DEFAULT-VALUE}).")
    SamplerSettings.Kind sampler;

    @Option(names = "--steps", description = "Steps S (default: ddim 50, dpm++2m and dpm++2m-sde 20, heun 10, ddpm all T).")
    Integer steps;

    @Option(names = "--spacing", description = "Layout of the steps of dpm++2m(-sde), heun and respaced ddpm (${COMPLETION-CANDIDATES}; "
            + "default as in 'sample').")
    Timesteps.Spacing spacing;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampling noise; fresh data use seed+1 and seed+2 (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", converter = ThreadsConverter.class, defaultValue = "1", description = "PyTorch intra-op threads; 0: all cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() {
        if ((run == null) == (npy == null)) {
            throw new UserException("give either --run RUN_DIR or --npy FILE (with --data)");
        }
        if (n < 2 || n > 50_000) {
            throw new UserException("--n must be in 2..50000, got " + n);
        }
        if (run != null && !Files.exists(run)) {
            throw new UserException(run + ": no such run folder or checkpoint; give the --out folder of 'diffusion4j train'");
        }
        if (npy != null && data == null) {
            throw new UserException("--npy needs --data, the data to compare the samples with (e.g. toy:moons)");
        }
        float[] samples;
        String source;
        String dataSpec;
        if (run != null) {
            JsonObject described = DataOptions.describedIn(run);
            dataSpec = data != null ? data : described.get("spec").getAsString();
            samples = sample();
            source = run + " (" + samplerText + ", seed " + seed + ")";
        } else {
            dataSpec = data;
            DataSet s = Npy.read(npy);
            requirePoints(s, npy.toString());
            samples = s.subset(Math.min(n, s.size())).data();
            source = npy.toString();
        }
        int dim = 2;
        // One pair of samples gives a noisy floor (0.0006..0.003 for two sets of 2000 moons points):
        // average over PAIRS independent pairs, and the samples' distance over the same data sets.
        double model = 0;
        double floor = 0;
        for (int p = 0; p < PAIRS; p++) {
            float[][] fresh = fresh(dataSpec, samples.length / dim, seed + 1 + 2L * p);
            model += PointDistances.energy(samples, fresh[0], dim) / PAIRS;
            floor += PointDistances.energy(fresh[1], fresh[0], dim) / PAIRS;
        }
        System.out.printf(Locale.ROOT, "energy distance, n = %d, mean of %d data sets: samples vs %s %.5f; data vs data "
                + "(floor) %.5f; ratio %.2f%n", samples.length / dim, PAIRS, dataSpec, model, floor, model / floor);
        System.out.println("samples: " + source);
        return 0;
    }

    private String samplerText = "";

    private float[] sample() {
        TorchRuntime.init();
        TorchRuntime.setThreads(threads);
        try (NDManager m = org.diffusion4j.TorchRuntime.newManager(device.require()); Ddpm ddpm = Ddpm.load(run, true, m)) {
            if (ddpm.spec().isImage() || ddpm.spec().rowShape()[0] != 2) {
                throw new UserException(run + " is not a model of 2-D points; eval points needs one trained on toy:* or a .csv");
            }
            // Points are not bounded by [-1, 1]: no clipping; deterministic DDIM (eta 0) as before.
            SamplerChoice.Built built = SamplerChoice.build(sampler, ddpm.spec().schedule(), steps, spacing, null,
                    DdpmSampler.Variance.BETA_TILDE, false);
            Sampler s = built.sampler();
            samplerText = built.description() + ", " + s.networkCalls() + " network calls";
            return ddpm.sampling(n).batch(n).sampler(s).seed(seed).manager(m).draw().toFloatArray();
        }
    }

    /** Two independent data sets of k points: fresh toy draws, or disjoint rows of a file. */
    private static float[][] fresh(String spec, int k, long seed) {
        if (spec.toLowerCase(Locale.ROOT).startsWith("toy:")) {
            Datasets.Options o = new Datasets.Options().n(k);
            DataSet a = Datasets.open(spec, o.seed(seed));
            DataSet b = Datasets.open(spec, o.seed(seed + 1));
            return new float[][] {a.data(), b.data()};
        }
        DataSet d = Datasets.open(spec);
        requirePoints(d, spec);
        if (d.size() < 2 * k) {
            throw new UserException(spec + " has " + d.size() + " points, fewer than the 2 x " + k + " needed; lower --n");
        }
        int[] shuffled = new java.util.Random(seed).ints(0, d.size()).distinct().limit(2L * k).toArray();
        return new float[][] {d.select(java.util.Arrays.copyOf(shuffled, k)).data(),
            d.select(java.util.Arrays.copyOfRange(shuffled, k, 2 * k)).data()};
    }

    private static void requirePoints(DataSet d, String what) {
        if (d.rowShape().length != 1 || d.rowShape()[0] != 2) {
            throw new UserException(what + " holds rows of shape " + java.util.Arrays.toString(d.rowShape())
                    + ", not 2-D points; eval points compares point sets");
        }
    }
}
