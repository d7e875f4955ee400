package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.Binarize;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.classifier.Classifier;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.vae.Vae;
import org.diffusion4j.vae.VaePictures;
import org.diffusion4j.vae.VaeTask;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.vae.VaeModel;
import org.diffusion4j.vae.VaeSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The VAE family (math.md sections 5 and 6): train, sample, reconstruct, interpolate, eval. */
@Command(name = "vae", mixinStandardHelpOptions = true,
        description = {"Variational auto-encoders: the notes' VAE (two encoder heads, re-parameterisation, closed-form KL),",
            "its class-prior conditional variant and the standard CVAE; ELBO and importance-weighted bound in nats."},
        subcommands = {VaeCommand.Train.class, VaeCommand.Sample.class, VaeCommand.Reconstruct.class,
            VaeCommand.Interpolate.class, VaeCommand.Eval.class, VaeCommand.Classes.class})
public final class VaeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The data a run is checked against: MNIST's test set for MNIST runs, else the training data itself. */
    static DataSet testData(JsonObject dataDesc, String override, int subset) {
        if (subset < 0) {
            throw new UserException("--subset must be >= 0, got " + subset);
        }
        DataSet d;
        if (override != null) {
            d = Datasets.open(override);
        } else {
            String s = dataDesc.get("spec").getAsString().strip().toLowerCase(Locale.ROOT);
            d = s.equals("mnist") || s.equals("mnist:train") || s.equals("mnist:test") ? Datasets.open("mnist:test")
                    : DataOptions.reopen(dataDesc);
        }
        return subset > 0 && subset < d.size() ? d.subset(subset) : d;
    }

    /** Bernoulli models see binary data: one fixed binarisation by seed. */
    static DataSet forModel(VaeSpec spec, DataSet d, long binarizeSeed) {
        if (d.rowSize() != spec.dim()) {
            throw new UserException(d.name() + " has rows of " + d.rowSize() + " values; the model expects " + spec.dim()
                    + " " + Arrays.toString(spec.rowShape()));
        }
        return spec.likelihood() == VaeSpec.Likelihood.BERNOULLI ? Binarize.fixed(d, binarizeSeed) : d;
    }

    /** Refuses an --out (a PNG file or a folder) that cannot be written, or that is the model read, before any work. */
    static void requireWritableOut(Path out, Path run) {
        OutputPaths.Plan p = OutputPaths.plan().input("RUN", run);
        if (out != null && out.toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            p.file("--out", out).check();
        } else {
            p.folder("--out", out).check();
        }
    }

    static Path output(Path out, Path run, String name) {
        // Pictures go into the run folder (also for its checkpoint.bin); those of a standalone model file
        // into the current folder, never beside it (the bundled models/ folder stays clean).
        Path dir = out != null ? out : Files.isDirectory(run) ? run
                : Files.exists(run.resolveSibling("config.json")) ? run.toAbsolutePath().getParent() : Path.of(".");
        return out != null && out.toString().toLowerCase(Locale.ROOT).endsWith(".png") ? out : dir.resolve(name);
    }

    /** Options shared by the commands that read a trained model. */
    static final class ModelOptions {
        @Parameters(index = "0", arity = "0..1", paramLabel = "RUN",
                description = "Run folder of 'vae train', its checkpoint.bin, or an exported model file "
                    + "(default: the bundled models/" + BundledModels.VAE_IWAE + ").")
        Path run;

        @Option(names = "--raw", description = "Use the raw trained weights instead of the EMA ones (the default).")
        boolean raw;

        @Option(names = "--threads", converter = ThreadsConverter.class, defaultValue = "0", description = "PyTorch intra-op threads; 0: all cores.")
        int threads;

        Vae load(NDManager m) {
            if (run == null) {
                run = BundledModels.vaeIwae();
            }
            if (!Files.exists(run)) {
                throw new UserException(run + ": no such run folder or checkpoint; give the --out folder of 'vae train'");
            }
            TorchRuntime.setThreads(threads);
            return Vae.load(run, !raw, m);
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train a VAE into a run folder: config.json, metrics.jsonl, loss.png, samples/step-*.png,",
                "reconstructions.png and latents.png (EMA weights, fixed seed), checkpoint.bin.",
                "Bernoulli models train on dynamically binarised data (a fresh binarisation every step).",
                "Ctrl-C stops after the current step and saves; --resume continues exactly.",
                "Example: diffusion4j vae train --preset iwae --steps 20000 --out runs/vae-iwae",
                "         diffusion4j vae train --conditional class-prior --latent 2 --out runs/vae-cp"})
    static final class Train implements Callable<Integer>, TrainFamily {
        @Option(names = "--out", description = "Run folder to create (default: runs/vae-<data>-<preset>).")
        Path out;

        @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR (--steps may raise the target).")
        Path resume;

        @Mixin
        DataOptions data;

        @Mixin
        TrainOptions train;

        @Option(names = "--preset", description = "iwae (784-200-200-50 tanh MLP, Burda et al. 2016), conv, conv-pixel "
                + "(conv with a 3-layer PixelCNN decoder), or toy (default: iwae for images, toy for vectors).")
        String preset;

        @Option(names = "--arch", description = "Override: mlp or conv.")
        String arch;

        @Option(names = "--hidden", split = ",", description = "Override: hidden sizes (MLP: encoder layers, mirrored in the decoder; conv: dense layers).")
        int[] hidden;

        @Option(names = "--conv-channels", split = ",", description = "Override: channels of the stride-2 convolutions, e.g. 32,64.")
        int[] convChannels;

        @Option(names = "--activation", description = "Override: tanh, relu, silu or softplus.")
        String activation;

        @Option(names = "--pixel-layers", description = "Override: masked-convolution layers of an autoregressive (PixelCNN) "
                + "decoder on the conv decoder, for binary one-channel images (0: factorised decoder).")
        Integer pixelLayers;

        @Option(names = "--pixel-channels", description = "Override: channels of the autoregressive decoder's layers.")
        Integer pixelChannels;

        @Option(names = "--latent", description = "Override: latent dimension (2 draws the latent manifold).")
        Integer latent;

        @Option(names = "--likelihood", description = "bernoulli (default for images in [0,1]) or gaussian (default for other data).")
        String likelihood;

        @Option(names = "--variance", defaultValue = "learned", description = "Gaussian likelihood: 'learned' (per dimension, default) or a fixed variance, e.g. 0.1.")
        String variance;

        @Option(names = "--conditional", description = "class-prior (the notes' variant: a learned prior mean per class) or cvae (q(z|x,y), p(x|z,y)).")
        String conditional;

        @Option(names = "--beta", defaultValue = "1.0", description = "Weight of the KL term (default: ${DEFAULT-VALUE}).")
        double beta;

        @Option(names = "--kl-warmup", defaultValue = "0", description = "Steps over which the KL weight rises linearly to beta (default: ${DEFAULT-VALUE}).")
        long klWarmup;

        @Override
        public Integer call() throws Exception {
            return TrainRunner.run(this, train.continuation(resume, out));
        }

        @Override
        public String command() {
            return "vae train";
        }

        @Override
        public String kind() {
            return Vae.KIND;
        }

        VaeSpec buildSpec(DataSet d) {
            long[] row = d.rowShape();
            String p = preset != null ? preset : (d.isImage() ? "iwae" : "toy");
            VaeSpec.Builder b = VaeSpec.preset(p, row);
            if (arch != null) {
                b.arch(parse(VaeSpec.Arch.class, arch, "--arch", "mlp or conv"));
            }
            if (hidden != null) {
                b.hidden(hidden);
            }
            if (convChannels != null) {
                b.channels(convChannels);
            }
            if (activation != null) {
                b.activation(parse(VaeSpec.Activation.class, activation, "--activation", "tanh, relu, silu or softplus"));
            }
            if (latent != null) {
                b.latent(latent);
            }
            if (pixelLayers != null) {
                b.pixelLayers(pixelLayers);
            }
            if (pixelChannels != null) {
                b.pixelChannels(pixelChannels);
            }
            boolean unit = true;
            for (float v : d.data()) {
                if (v < 0f || v > 1f) {
                    unit = false;
                    break;
                }
            }
            VaeSpec.Likelihood lik = likelihood != null
                    ? parse(VaeSpec.Likelihood.class, likelihood, "--likelihood", "bernoulli or gaussian")
                    : (d.isImage() && unit ? VaeSpec.Likelihood.BERNOULLI : VaeSpec.Likelihood.GAUSSIAN);
            if (lik == VaeSpec.Likelihood.BERNOULLI && !unit) {
                throw new UserException("the Bernoulli likelihood needs data in [0, 1]; " + d.name()
                        + " has values outside it: use --likelihood gaussian");
            }
            b.likelihood(lik);
            if ("learned".equalsIgnoreCase(variance.strip())) {
                b.learnedVariance(true);
            } else {
                try {
                    b.learnedVariance(false).variance(Double.parseDouble(variance));
                } catch (NumberFormatException e) {
                    throw new UserException("--variance must be 'learned' or a positive number, got '" + variance + "'");
                }
            }
            VaeSpec.Conditional c = VaeSpec.Conditional.parse(conditional);
            if (c != VaeSpec.Conditional.NONE && !d.hasLabels()) {
                throw new UserException("--conditional " + c.label() + " needs labelled data; " + d.name() + " has no labels");
            }
            return b.conditional(c, d.numClasses()).beta(beta).klWarmup(klWarmup).build();
        }

        @Override
        public Session start(NDManager m) {
            DataSet d = data.open(train.seed());
            VaeSpec spec = buildSpec(d);
            String p = preset != null ? preset : (d.isImage() ? "iwae" : "toy");
            Path dir = out != null ? out : Path.of("runs", "vae-" + data.spec.replaceAll("[^A-Za-z0-9]+", "-") + "-" + p
                    + (spec.isConditional() ? "-" + spec.conditional().label() : ""));
            TrainRunner.requireFresh(data.addTo(OutputPaths.plan()), dir, command());
            TrainConfig cfg = train.build(TrainOptions.Defaults.of(1e-3, 0));
            TrainCommand.requireBatchFits(cfg, d);
            return session(Vae.create(spec, m, train.seed()), d, data.describe(train.seed()), cfg, dir,
                    "training " + spec + " on " + d.name() + " (" + d.size() + " rows) into " + dir);
        }

        /** --resume, or a new run started by --init-from from another's state. */
        @Override
        public Session reopen(org.diffusion4j.train.RunFolder.Continuation r, NDManager m) {
            JsonObject model = com.google.gson.JsonParser.parseString(r.modelJson()).getAsJsonObject();
            DataSet d = DataOptions.reopen(model.getAsJsonObject("data"));
            Vae vae = Vae.create(VaeSpec.fromJson(model.getAsJsonObject("spec").toString()), m, 0);
            return session(vae, d, model.getAsJsonObject("data"), r.config(), r.dir(), null);
        }

        /** The task (pictures checked against the test data) and its batches, binarised for Bernoulli models. */
        private static Session session(Vae vae, DataSet d, JsonObject dataDesc, TrainConfig cfg, Path dir, String banner) {
            VaeTask task = new VaeTask(vae, dataDesc.toString(), forModel(vae.spec(), testData(dataDesc, null, 2000), 0));
            boolean bernoulli = vae.spec().likelihood() == VaeSpec.Likelihood.BERNOULLI;
            BatcherSource source = new BatcherSource(Batcher.builder(d).batchSize(cfg.batchSize()).seed(cfg.seed()).shuffle(true)
                    .dropLast(true).scaling(Batcher.Scaling.KEEP).binarize(bernoulli).build());
            return new Session(vae, task, task.source(source), cfg, dir, banner);
        }
    }

    static <E extends Enum<E>> E parse(Class<E> type, String s, String option, String allowed) {
        try {
            return Enum.valueOf(type, s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException(option + " must be " + allowed + ", got '" + s + "'");
        }
    }

    @Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Draw samples from a trained VAE: z from the prior (N(0,I); N(mu^Y, I) for class-prior), then the decoder mean.",
                "A conditional model without --class draws a grid with one row per class.",
                "Example: diffusion4j vae sample runs/vae-cp --class 7 --n 64 --out seven.png"})
    static final class Sample implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Option(names = "--n", defaultValue = "64", description = "Number of samples (default: ${DEFAULT-VALUE}).")
        int n;

        @Option(names = "--class", description = "Class to generate (conditional models).")
        Integer cls;

        @Option(names = "--per-class", defaultValue = "10", description = "Samples per row of the per-class grid (default: ${DEFAULT-VALUE}).")
        int perClass;

        @Option(names = "--manifold", description = "Instead: the decoder over a grid of z in [-r, r]^2 (2-D latent models).")
        boolean manifold;

        @Option(names = "--range", defaultValue = "2.5", description = "Half-width r of the manifold grid (default: ${DEFAULT-VALUE}).")
        double range;

        @Option(names = "--binary", description = "Show the draws x ~ p(x|z), 0 or 1 per pixel, instead of the decoder's "
                + "probabilities (Bernoulli models; for a PixelCNN decoder the pixels it drew one by one).")
        boolean binary;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the draws (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", description = "PNG file or folder (default: samples.png / manifold.png in the run folder).")
        Path out;

        @Override
        public Integer call() {
            if (n < 1 || n > 100_000) {
                throw new UserException("--n must be in 1..100000, got " + n);
            }
            if (perClass < 1 || perClass > 1000) {
                throw new UserException("--per-class must be in 1..1000, got " + perClass);
            }
            requireWritableOut(out, model.run);
            try (NDManager m = TorchRuntime.newManager(); Vae vae = model.load(m)) {
                VaeSpec spec = vae.spec();
                if (cls != null) {
                    vae.checkClass(cls);
                }
                Path file;
                if (manifold) {
                    if (binary) {
                        throw new UserException("--binary draws samples; the --manifold picture shows the decoder's probabilities only");
                    }
                    if (spec.conditional() == VaeSpec.Conditional.CVAE && cls == null) {
                        throw new UserException("a CVAE's manifold is drawn for one class: give --class");
                    }
                    file = output(out, model.run, "manifold" + (cls != null ? "-" + cls : "") + ".png");
                    Pictures.save(file, VaePictures.manifold(vae, 20, range, cls == null ? null : new int[] {cls}, m));
                } else if (spec.isConditional() && cls == null) {
                    int[] classes = new int[spec.numClasses()];
                    int[] each = new int[spec.numClasses() * perClass];
                    for (int c = 0; c < spec.numClasses(); c++) {
                        classes[c] = c;
                        Arrays.fill(each, c * perClass, (c + 1) * perClass, c);
                    }
                    NDArray x = vae.sample(each, each.length, seed, binary, m);
                    file = output(out, model.run, "samples-per-class.png");
                    Pictures.save(file, VaePictures.classGrid(spec, x, classes, perClass));
                } else {
                    int[] classes = null;
                    if (cls != null) {
                        classes = new int[n];
                        Arrays.fill(classes, cls);
                    }
                    NDArray x = vae.sample(classes, n, seed, binary, m);
                    file = output(out, model.run, cls != null ? "samples-" + cls + ".png" : "samples.png");
                    Pictures.save(file, VaePictures.samples(spec, x, null, "samples"));
                }
                System.out.println("wrote " + file);
                return 0;
            }
        }
    }

    /** Options for commands that read test rows. */
    static final class TestDataOptions {
        @Option(names = "--data", description = "Data to use (default: mnist:test for MNIST runs, else the run's data).")
        String data;

        @Option(names = "--subset", defaultValue = "0", description = "Use only N rows (0: all), the first ones or those from --offset on.")
        int subset;

        @Option(names = "--offset", defaultValue = "0", description = "Skip the first N rows, to split a long evaluation into parts: "
                + "every row keeps the binarisation it has in the whole set (default: ${DEFAULT-VALUE}).")
        int offset;

        @Option(names = "--binarize-seed", defaultValue = "0", description = "Seed of the one fixed binarisation for Bernoulli models (default: ${DEFAULT-VALUE}).")
        long binarizeSeed;

        DataSet open(Vae vae) {
            if (data == null && vae.dataDescription() == null) {
                throw new UserException("the model does not say what data it was trained on; give --data explicitly");
            }
            JsonObject described = vae.dataDescription() == null ? null
                    : com.google.gson.JsonParser.parseString(vae.dataDescription()).getAsJsonObject();
            return testRows(vae.spec(), described, data, offset, subset, binarizeSeed);
        }
    }

    /** The test rows offset..offset+subset-1 as the model sees them (binarised once, as a whole, by seed). */
    static DataSet testRows(VaeSpec spec, JsonObject dataDesc, String override, int offset, int subset, long binarizeSeed) {
        if (offset < 0) {
            throw new UserException("--offset must be >= 0, got " + offset);
        }
        // Binarise before slicing: row i's binary values must not depend on which part it is in. The
        // binarisation draws row by row, so binarising the first offset+subset rows is the same.
        int prefix = subset > 0 ? offset + subset : 0;
        DataSet head = forModel(spec, testData(override == null ? dataDesc : null, override, prefix), binarizeSeed);
        return rows(head, offset, subset);
    }

    /** Rows offset..offset+count-1 of d (count 0: all from offset on), refused in one line when out of range. */
    static DataSet rows(DataSet d, int offset, int count) {
        if (count < 0) {
            throw new UserException("--subset must be >= 0, got " + count);
        }
        if (offset >= d.size()) {
            throw new UserException("--offset " + offset + " leaves no rows: " + d.name() + " has " + d.size()
                    + "; give an offset below " + d.size());
        }
        int n = count == 0 ? d.size() - offset : Math.min(count, d.size() - offset);
        return d.subset(offset, n);
    }

    @Command(name = "reconstruct", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Reconstructions (inputs over outputs, decoder mean at z = mu(x)) and, for labelled data,",
                "a scatter of the latent means coloured by class (with the learned class means of a class-prior model).",
                "Example: diffusion4j vae reconstruct runs/vae-iwae --n 32"})
    static final class Reconstruct implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Mixin
        TestDataOptions data;

        @Option(names = "--n", defaultValue = "32", description = "Rows to reconstruct (default: ${DEFAULT-VALUE}).")
        int n;

        @Option(names = "--scatter", defaultValue = "5000", description = "Rows in the latent scatter; 0: none (default: ${DEFAULT-VALUE}).")
        int scatter;

        @Option(names = "--out", description = "Folder for reconstructions.png and latents.png (default: the run folder).")
        Path out;

        @Override
        public Integer call() {
            if (n < 1) {
                throw new UserException("--n must be at least 1, got " + n);
            }
            requireWritableOut(out, model.run);
            try (NDManager m = TorchRuntime.newManager(); Vae vae = model.load(m)) {
                VaeSpec spec = vae.spec();
                DataSet d = data.open(vae);
                DataSet few = d.subset(Math.min(n, d.size()));
                NDArray r = vae.reconstruct(few, m);
                Path file = output(out, model.run, "reconstructions.png");
                Pictures.save(file, VaePictures.reconstructions(spec, few.data(), r.toFloatArray(), few.size(),
                        Math.min(16, few.size())));
                System.out.println("wrote " + file);
                if (scatter > 0 && d.hasLabels() && spec.latent() >= 2) {
                    DataSet many = d.subset(Math.min(scatter, d.size()));
                    float[] mu = vae.encodeMeans(many, m);
                    VaeModel vm = vae.model();
                    Path lat = output(out, model.run, "latents.png").resolveSibling("latents.png");
                    Pictures.save(lat, VaePictures.latentScatter(mu, spec.latent(), many.labels(), d.numClasses(),
                            vm.classMeans() == null ? null : vm.classMeans().toFloatArray(),
                            "latent means of " + many.size() + " rows (first two dimensions)"));
                    System.out.println("wrote " + lat);
                }
                return 0;
            }
        }
    }

    @Command(name = "interpolate", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Decode the straight line between the latent means of two rows (both originals at the ends).",
                "Example: diffusion4j vae interpolate runs/vae-iwae --from 0 --to 1 --steps 10"})
    static final class Interpolate implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Mixin
        TestDataOptions data;

        @Option(names = "--from", defaultValue = "0", description = "Index of the first row (default: ${DEFAULT-VALUE}).")
        int from;

        @Option(names = "--to", defaultValue = "1", description = "Index of the second row (default: ${DEFAULT-VALUE}).")
        int to;

        @Option(names = "--steps", defaultValue = "10", description = "Decoded points on the line (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--out", description = "PNG file or folder (default: interpolation.png in the run folder).")
        Path out;

        @Override
        public Integer call() {
            if (steps < 2 || steps > 200) {
                throw new UserException("--steps must be in 2..200, got " + steps);
            }
            requireWritableOut(out, model.run);
            try (NDManager m = TorchRuntime.newManager(); Vae vae = model.load(m)) {
                DataSet d = data.open(vae);
                for (int i : new int[] {from, to}) {
                    if (i < 0 || i >= d.size()) {
                        throw new UserException("row " + i + " is outside 0.." + (d.size() - 1) + " of " + d.name());
                    }
                }
                Path file = output(out, model.run, "interpolation.png");
                Pictures.save(file, VaePictures.interpolation(vae, d.select(new int[] {from, to}), steps, m));
                System.out.println("wrote " + file);
                return 0;
            }
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The ELBO and the importance-weighted bound log (1/k) sum p(x,z_i)/q(z_i|x) (Burda et al. 2016)",
                "on test data, in nats per example; NLL = -bound. Bernoulli models see one fixed binarisation (--binarize-seed).",
                "A long evaluation can be split into parts: --offset 0 --subset 2500, --offset 2500 --subset 2500, ...",
                "Example: diffusion4j vae eval runs/vae-iwae --k 5000 --subset 1000"})
    static final class Eval implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Mixin
        TestDataOptions data;

        @Option(names = "--k", defaultValue = "5000", description = "Importance samples per example (default: ${DEFAULT-VALUE}).")
        int k;

        @Option(names = "--batch", defaultValue = "100", description = "Examples per pass (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the importance samples (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            if (k < 1 || k > 1_000_000) {
                throw new UserException("--k must be in 1..1000000, got " + k);
            }
            if (batch < 1) {
                throw new UserException("--batch must be at least 1, got " + batch);
            }
            try (NDManager m = TorchRuntime.newManager(); Vae vae = model.load(m)) {
                DataSet d = data.open(vae);
                Vae.Evaluation e;
                try (Progress p = new Progress("eval", 0, d.size(), Progress.Mode.AUTO, Math.max(1, d.size() / 10))) {
                    e = vae.evaluate(d, k, batch, seed, done -> p.update(done, null), m);
                }
                // A part of a split evaluation says which rows it covers; parts combine as means weighted by rows.
                String rows = data.offset == 0 ? e.n() + " rows"
                        : "rows " + data.offset + ".." + (data.offset + e.n() - 1) + ", " + e.n() + " rows";
                System.out.printf(Locale.ROOT, "%s on %s (%s): ELBO %.2f nats, IW bound (k=%d) %.2f nats, NLL %.2f nats; %.1f s%n",
                        model.run, d.name(), rows, e.elbo(), e.k(), e.iwBound(), e.nll(), e.seconds());
                return 0;
            }
        }
    }

    @Command(name = "classes", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"How well a conditional model draws the class it is asked for: N samples per class, each scored",
                "by the digit classifier; per class the fraction classified as that class (and what the rest were taken for).",
                "Example: diffusion4j vae classes runs/vae-cp --n 1000"})
    static final class Classes implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Option(names = "--n", defaultValue = "1000", description = "Samples per class (default: ${DEFAULT-VALUE}).")
        int n;

        @Option(names = "--classifier", paramLabel = "FILE", description = "Classifier weights or run folder (default: the bundled models/classifier-mnist.safetensors).")
        Path classifier;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the draws (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            if (n < 1 || n > 100_000) {
                throw new UserException("--n must be in 1..100000, got " + n);
            }
            Path source = classifier != null ? classifier : BundledModels.classifierMnist();
            long t0 = System.nanoTime();
            try (NDManager m = TorchRuntime.newManager(); Vae vae = model.load(m); Classifier c = Classifier.load(source, m)) {
                VaeSpec spec = vae.spec();
                if (!spec.isConditional()) {
                    throw new UserException(model.run + " is not a conditional model; train one with 'vae train --conditional class-prior' or 'cvae'");
                }
                c.requireRowShape(spec.isImage() ? spec.rowShape() : new long[] {spec.dim()}, model.run.toString());
                int k = spec.numClasses();
                int[] intended = new int[k * n];
                int[] predicted = new int[k * n];
                for (int y = 0; y < k; y++) {
                    int[] labels = new int[n];
                    Arrays.fill(labels, y);
                    float[] x;
                    try (NDManager s = m.newSubManager()) {
                        x = vae.sample(labels, n, seed + y, s).toFloatArray();
                    }
                    int[] p = c.evaluate(x, n, 500).predictions();
                    Arrays.fill(intended, y * n, (y + 1) * n, y);
                    System.arraycopy(p, 0, predicted, y * n, n);
                }
                ClassAccuracy a = ClassAccuracy.of(intended, predicted, k);
                System.out.printf(Locale.ROOT, "%s (%s): %d samples per class scored by %s (%.1f s)%n",
                        model.run, spec.conditional().label(), n, source, (System.nanoTime() - t0) / 1e9);
                for (int y = 0; y < k; y++) {
                    int other = a.mostConfusedWith(y);
                    System.out.printf(Locale.ROOT, "  class %d: %5.1f%% classified as %d%s%n", y, 100 * a.accuracy(y), y,
                            other == y ? "" : String.format(Locale.ROOT, "; most often mistaken for %d (%d)", other, a.confusion()[y][other]));
                }
                System.out.printf(Locale.ROOT, "all classes: %.2f%% (worst class %.1f%%)%n", 100 * a.overall(), 100 * a.worst());
                return 0;
            }
        }
    }
}
