package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.data.Npy;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.diffusion.Timesteps;
import org.diffusion4j.io.GifWriter;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.diffusers.DiffusersFolder;
import org.diffusion4j.ddpm.SampleParts;
import org.diffusion4j.ddpm.Sampling;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.ddpm.Trajectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Turns a trained DDPM into samples, pictures of the denoising, and arrays for other tools. */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw samples from a trained DDPM (EMA weights) with Algorithm 2 (ddpm, also respaced), DDIM, "
                + "DPM-Solver++(2M) or Heun; the output names the count of network calls.",
            "Reproducible: sample i depends on --seed and i only, so the same --seed gives the same samples, bit for bit, "
                + "with any --batch (the network is called with chunks of 32 samples aligned to the index; --no-exact: "
                + "one call per batch, and other batch sizes agree to float rounding only).",
            "Resumable: with --npy FILE and more than one batch, finished batches wait in FILE.parts/ until "
                + "the end; after an interruption the same command continues from them.",
            "A class-conditional model (train --classes) draws --class K with classifier-free guidance --guidance W; "
                + "without --class, the same number of each class, one row per class in the grid (default --n: "
                + ConditionalSampling.PER_CLASS + " per class). --npy FILE then also writes the requested classes "
                + "to FILE.labels.npy, for eval samples' per-class accuracy.",
            "Example: diffusion4j sample --run runs/mnist --n 64 --out samples.png",
            "         diffusion4j sample --run runs/mnist --sampler ddim --steps 50 --trajectory traj.png --gif denoise.gif",
            "         diffusion4j sample --sampler dpm++2m --steps 15"})
public final class SampleCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    DeviceOption device;

    @Option(names = "--run", paramLabel = "RUN_DIR", description = "A run folder, checkpoint file or diffusers DDPMPipeline/UNet2DModel folder (default: the bundled MNIST model, if present).")
    Path run;

    @Option(names = "--n", defaultValue = "64", description = "Number of samples (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--batch", defaultValue = "64", description = "Samples drawn (and kept by --npy) at a time: whole chunks of 32 "
            + "network rows (points: 1024), or with --no-exact the rows of each network call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--exact", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Call the network with chunks of 32 samples aligned to the sample index, so that the samples are the same "
                    + "bit for bit whatever --batch (default on); --no-exact: one call of --batch rows per batch.")
    boolean exact;

    @Option(names = "--sampler", converter = SamplerKindConverter.class, description = "The sampler (${COMPLETION-CANDIDATES}): "
            + "ddpm is Algorithm 2 (all T steps, or --steps S respaced), ddim, dpm++2m is DPM-Solver++(2M) (S calls), dpm++2m-sde its SDE form (S calls), "
            + "heun is Karras et al.'s Heun (2 S - 1 calls) (default: the one the model file recommends: dpm++2m-sde for the bundled models, "
            + "ddpm for a run of your own).")
    SamplerSettings.Kind sampler;

    @Option(names = "--steps", description = "Steps S (default: ddim 50, dpm++2m 20, dpm++2m-sde 20 (16 for the bundled models), heun 10, "
            + "ddpm all T; fewer respace DDPM).")
    Integer steps;

    @Option(names = "--spacing", description = "How dpm++2m(-sde), heun and respaced ddpm lay out their S steps (${COMPLETION-CANDIDATES}): "
            + "linspace (uniform in t from 1 to T), trailing (uniform in t ending at T), logsnr (uniform in log-SNR), "
            + "karras (rho = 7) (default: logsnr for dpm++2m, trailing for dpm++2m-sde, karras for heun, linspace for ddpm).")
    Timesteps.Spacing spacing;

    @Option(names = "--eta", description = "Noise of ddim and dpm++2m-sde, >= 0: 0 deterministic, 1 close to DDPM (the SDE), above 1 more noise "
            + "(sigma capped at sqrt(1 - alphaBar_prev)) (default: ddim 0 with --run of your own, 1 for the bundled models; dpm++2m-sde 1, 1.1 for the bundled models).")
    Double eta;

    @Option(names = "--variance", defaultValue = "beta-tilde", converter = VarianceConverter.class,
            description = "DDPM sigma_t^2 (${COMPLETION-CANDIDATES}): betaTilde_t, the posterior variance, or beta_t "
                    + "(default: ${DEFAULT-VALUE}).")
    DdpmSampler.Variance variance;

    @Option(names = "--clip", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Clip the predicted x0Hat to [-1, 1] at every step, as the reference code does (images only; default on). "
                    + "It keeps early, noisy predictions in the pixel range.")
    boolean clip;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--raw", description = "Use the raw trained weights instead of the EMA weights.")
    boolean raw;

    @Option(names = "--out", defaultValue = "samples.png", description = "PNG grid of the samples (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--each", paramLabel = "DIR", description = "Also write every sample as its own PNG into DIR.")
    Path each;

    @Option(names = "--npy", paramLabel = "FILE", description = "Also write the samples as .npy: [N, H, W] (or [N, C, H, W]) float32 in [0, 1]; points as [N, D]. "
            + "Makes a job of several batches resumable (FILE.parts/ holds the finished ones).")
    Path npy;

    @Option(names = "--trajectory", paramLabel = "PNG", description = "Picture of x_t and x0Hat at ten evenly spaced steps for the first samples.")
    Path trajectory;

    @Option(names = "--gif", paramLabel = "FILE", description = "Animated GIF of the denoising of the first samples.")
    Path gif;

    @Option(names = "--precision", defaultValue = "fp32", description = "Number format of the network (${COMPLETION-CANDIDATES}): with fp16 it "
            + "computes on float16 copies of the weights (the sampler's arithmetic stays float32); bf16 is refused "
            + "(default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--threads", converter = ThreadsConverter.class, defaultValue = "0", description = "PyTorch intra-op threads; 0: all cores.")
    int threads;

    @picocli.CommandLine.Mixin
    ConditionalSampling conditional;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Override
    public Integer call() {
        if (n < 1 || n > 1_000_000) {
            throw new UserException("--n must be in 1..1000000, got " + n);
        }
        if (batch < 1) {
            throw new UserException("--batch must be >= 1, got " + batch);
        }
        Precision prec = precision.requireSupported();
        // a class asked for without a model: the bundled class-conditional one
        Path source = run != null ? run : conditional.classValue != null ? BundledModels.ddpmMnistCond() : BundledModels.ddpmMnist();
        // Refused now, not after all the sampling (issue 39), nor over the model it reads (issue 47).
        OutputPaths.plan().input("--run", source).file("--out", out).file("--npy", npy).folder("--each", each)
                .file("--trajectory", trajectory).file("--gif", gif).check();
        TorchRuntime.init();
        TorchRuntime.setThreads(threads);
        try (NDManager m = TorchRuntime.newManager(device.require()); Ddpm ddpm = DiffusersFolder.isDiffusersFolder(source)
                ? DiffusersFolder.load(source, m) : Ddpm.load(source, !raw, m)) {
            TrainCommand.requirePlanePoints(ddpm.spec().rowShape(), source.toString());
            // a latent DDPM (train --latent) carries its autoencoder: its samples are decoded, and x0 is not clipped
            LatentSpace latent = DiffusersFolder.isDiffusersFolder(source) ? null : LatentSpace.load(source, m);
            latentModel = latent != null;
            if (latent != null && (trajectory != null || gif != null)) {
                throw new UserException("--trajectory and --gif show the denoising of images, and " + source
                        + " is a latent DDPM; leave them out");
            }
            SamplerChoice.Built built = sampler(ddpm, run == null || BundledModels.isBundled(run));

            Sampler s = built.sampler();
            if (ddpm.isConditional() && conditional.classValue == null && !commandSpec.commandLine().getParseResult().hasMatchedOption("--n")) {
                n = ConditionalSampling.PER_CLASS * ddpm.spec().numClasses();
            }
            Ddpm.Guide guide = conditional.guide(ddpm, n);
            boolean images = ddpm.spec().isImage();
            Trajectory traj = (trajectory != null || gif != null)
                    ? new Trajectory(ddpm.spec(), images ? Math.min(n, 8) : Math.min(n, 1000), 10, 60) : null;
            Sampling request = ddpm.sampling(n).batch(batch).sampler(s).seed(seed).guide(guide).precision(prec).exact(exact);
            long batches = request.partCount();
            // Long jobs keep their finished batches until the end, so the same command resumes them.
            Path partsDir = npy == null ? null : npy.resolveSibling(npy.getFileName() + ".parts");
            SampleParts parts = npy != null && batches > 1 && traj == null ? SampleParts.open(partsDir, job(source, built, request)) : null;
            if (parts != null && parts.damaged() != null) {
                System.err.printf(Locale.ROOT, "%s does not match its checksum: it is drawn again, with the batches after it%n",
                        npy.getFileName() + ".parts/" + parts.damaged());
            }
            if (parts != null && parts.found() > 0) {
                System.err.printf(Locale.ROOT, "resuming: %d of %d batches were finished earlier (%s)%n", parts.found(), batches,
                        npy.getFileName() + ".parts");
            }
            long skipped = parts == null ? 0 : request.networkCallsOfParts(Math.min(parts.found(), (int) batches));
            long t0 = System.nanoTime();
            NDArray x;
            // Ctrl-C: say what is kept for the next run (without parts, nothing is, and the default exit is right)
            java.util.function.Supplier<String> kept = () -> parts.kept() + " of " + batches + " batches are kept in " + partsDir
                    + "; the same command continues from them";
            try (StopOnSignal stop = parts == null ? null : new StopOnSignal(() -> "stopping: " + kept.get(),
                    () -> System.exit(Main.EXIT_INTERRUPTED), kept);
                    Progress p = new Progress("sample", skipped, request.networkCalls(), Progress.Mode.AUTO, Math.max(1, s.networkCalls() / 10))) {
                long[] calls = {skipped};
                StepListener listener = (i, count, t, xt, x0) -> {
                    if (traj != null) {
                        traj.onStep(i, count, t, xt, x0);
                    }
                    p.update(++calls[0], "t=" + t);
                };
                x = request.listener(listener).store(parts != null ? parts : Ddpm.BatchStore.NONE).manager(m).draw();
            }
            if (latent != null) {
                x = latent.decode(x);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            DataSet reference = images || run == null ? null : DataOptions.reopen(DataOptions.describedIn(source));
            Pictures.save(out, guide != null ? ConditionalSampling.grid(ddpm, x, guide) : Pictures.samples(ddpm.spec(), x, reference, "samples"));
            float[] display = Pictures.toDisplay(ddpm.spec(), x);
            long[] shape = x.getShape().getShape();
            if (npy != null) {
                long[] npyShape = images && shape[1] == 1 ? new long[] {shape[0], shape[2], shape[3]} : shape;
                Npy.write(npy, display, npyShape);
                if (guide != null) {
                    ConditionalSampling.writeLabels(npy, guide);
                }
                if (parts != null) {
                    parts.finish();
                }
            }
            if (each != null && images) {
                writeEach(display, shape);
            }
            if (traj != null && trajectory != null) {
                Pictures.save(trajectory, traj.picture());
            }
            if (traj != null && gif != null) {
                GifWriter.write(gif, traj.frames(), 60, 1500, true);
            }
            // exact: each call has the chunk's rows, whatever the batch
            String per = request.exactChunk() > 0 ? "chunk of " + request.exactChunk() : "batch of " + Math.min(batch, n);
            System.out.printf(Locale.ROOT, "%d samples in %.1f s (%s, %d network calls per %s%s) -> %s%n",
                    n, seconds, built.description(), s.networkCalls(), per, ConditionalSampling.describe(guide), out);
            return 0;
        }
    }

    /** Whether the model is a latent DDPM (its samples are latents at unit variance: never clipped to [-1, 1]). */
    private boolean latentModel;

    /** Everything that shapes the samples of this command: a resumed job must match it. */
    private String job(Path source, SamplerChoice.Built built, Sampling request) {
        Sampler s = built.sampler();
        Path file = (DiffusersFolder.isDiffusersFolder(source) ? DiffusersFolder.weightsFile(source)
                : org.diffusion4j.train.Checkpoint.fileOf(source)).toAbsolutePath().normalize();
        try {
            return String.join("\n", "model " + file + " " + Files.size(file) + " " + Files.getLastModifiedTime(file).toMillis()
                    + (raw ? " raw" : " ema"), "sampler " + built.description() + " " + s.networkCalls() + " calls, clip " + clip,
                    "seed " + seed + " (noise per sample)", "batch " + batch + (exact ? ", exact chunks of " + request.exactChunk() : ""), "n " + n, "precision " + precision) + "\n"
                    + conditional.jobLine();
        } catch (java.io.IOException e) {
            throw new UserException(file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    /**
     * The sampler the options ask for. Without --sampler: the one the model file recommends
     * (core's {@link Ddpm#defaultSampler()}: for the bundled models the fastest one that matches
     * DDIM-50's quality on them, docs/sampling.md, "Which sampler"; else Algorithm 2 itself);
     * options not given take the recommended sampler's values when it is the kind asked for. On a
     * bundled model DDIM's eta defaults to 1.
     */
    SamplerChoice.Built sampler(Ddpm ddpm, boolean bundled) {
        SamplerSettings recommended = ddpm.defaultSampler();
        SamplerSettings.Kind kind = sampler != null ? sampler : recommended.kind();
        boolean clipX0 = clip && ddpm.spec().isImage() && !latentModel;
        Double e = eta;
        Integer s = steps;
        Timesteps.Spacing sp = spacing;
        if (kind == recommended.kind()) {
            s = s != null || recommended.steps() == 0 ? s : Integer.valueOf(recommended.steps());
            sp = sp != null || kind == SamplerSettings.Kind.DDIM ? sp : recommended.spacing();
            e = e != null || !kind.takesEta() ? e : Double.valueOf(recommended.eta());
        }
        if (bundled && kind == SamplerSettings.Kind.DDIM && e == null) {
            e = 1.0;
        }
        return SamplerChoice.build(kind, ddpm.spec().schedule(), s, sp, e, variance, clipX0);
    }

    private void writeEach(float[] display, long[] shape) {
        int size = (int) (shape[1] * shape[2] * shape[3]);
        for (int i = 0; i < shape[0]; i++) {
            float[] one = new float[size];
            System.arraycopy(display, i * size, one, 0, size);
            ImageGrid.save(each.resolve(String.format(Locale.ROOT, "sample-%05d.png", i)), one,
                    new long[] {1, shape[1], shape[2], shape[3]}, 1, 0, 1);
        }
    }
}
