package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.UserException;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseLevels;
import org.diffusion4j.latent.Autoencoder;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.pipeline.LatentDdpmTask;
import org.diffusion4j.train.TrainingTask;
import org.diffusion4j.diffusion.Objective;
import org.diffusion4j.diffusion.Prediction;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.DdpmTask;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains a DDPM noise predictor by Algorithm 1 into a run folder, or resumes one. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a DDPM (Algorithm 1) into a run folder: config.json, metrics.jsonl, loss.png, "
            + "samples/step-*.png (EMA weights, fixed seed) and checkpoint.bin.",
            "Images get the U-Net of docs/unet.md; 2-D points (toy:*, .csv) get an MLP denoiser (4 x 128, SiLU).",
            "Defaults for points: T 100, betas 1e-3..0.2, 1500 steps, batch 256, "
                + "lr 1e-3, 1 thread (the network is too small for threads to pay).",
            "Ctrl-C stops after the current step and saves a checkpoint; --resume continues exactly.",
            "Example: diffusion4j train --preset tiny --steps 300 --out runs/tiny",
            "         diffusion4j train --resume runs/tiny --steps 400",
            "         diffusion4j train --data toy:moons --out runs/moons"})
public final class TrainCommand implements Callable<Integer>, TrainFamily {
    @Option(names = "--out", description = "Run folder to create (default: runs/<data>-<preset>).")
    Path out;

    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR (its model, data and settings; --steps may raise the target).")
    Path resume;

    @Mixin
    DataOptions data;

    @Mixin
    UNetOptions unet;

    @Mixin
    ScheduleOptions schedule;

    @Option(names = "--loss", defaultValue = "l2", description = "l2 (default) or l1: the loss of Algorithm 1.")
    String loss;

    @Option(names = "--prediction", description = "What the network predicts: eps (the noise, as in the paper; default), "
            + "x0 (the clean data) or v = sqrt(alphaBar) eps - sqrt(1 - alphaBar) x0 (Salimans & Ho 2022). Stored in the model; "
            + "every sampler reads it. docs/training.md")
    String prediction;

    @Option(names = "--min-snr-gamma", paramLabel = "G", description = "Weight the loss of step t by min(SNR(t), G) on the "
            + "x0 scale (Hang et al. 2023; they use 5); 0: unweighted (default).")
    Double minSnrGamma;

    @Option(names = "--noise-levels", paramLabel = "KIND", description = "How t is drawn in training: uniform (the paper; "
            + "default), lognormal (sigma_t = sqrt((1 - alphaBar_t) / alphaBar_t) log-normal, ln sigma ~ N(-1.2, 1.2^2), "
            + "Karras et al. 2022) or lognormal:MEAN,STD. Stored in the model. docs/fast-training.md")
    String noiseLevels;

    @Option(names = "--latent", paramLabel = "AE_RUN", description = "Learn the latents of an autoencoder made by 'ae train' "
            + "(its run folder or checkpoint) instead of the images: the data are encoded at the start (unit variance per "
            + "channel), and every checkpoint carries the autoencoder, so that 'sample --run' decodes. docs/fast-training.md")
    Path latent;

    @Option(names = "--recipe", paramLabel = "NAME", description = "latent: an autoencoder ('ae train') for the first "
            + "30% of a --minutes budget into OUT/autoencoder, then a DDPM on its latents for the rest (v-prediction, a "
            + "one-level U-Net at the latent's size: --ch 64 --ch-mult 1 --num-res-blocks 2, attention, no dropout, batch 128, "
            + "lr 1e-3, unless given); the default for a --minutes budget on images without --preset or --latent. "
            + "pixel: the U-Net of docs/unet.md on the pixels; the default otherwise. docs/fast-training.md")
    String recipe;

    @Mixin
    TrainOptions train;

    @Mixin
    DeviceOption device;

    @Option(names = "--label-dropout", paramLabel = "P", description = "Class-conditional models (--classes): the "
            + "probability with which a training label is replaced by the null class, so that one net learns the "
            + "conditional and the unconditional prediction of classifier-free guidance (default: 0.1; on --resume or "
            + "--init-from: the run's own).")
    Double labelDropout;

    @Option(names = "--precision", description = "fp32 (default) or fp16: the network computes on float16 copies of "
            + "float32 master weights with dynamic loss scaling; on CPUs without fast float16 kernels it is much "
            + "slower (measure with bench; docs/performance.md). bf16 is refused (DJL 0.35 cannot create bfloat16 arrays). May be changed on --resume.")
    String precision;

    /** Besides the common ones: the network's options and the objective, which reopen checks against the run's. */
    @Override
    public java.util.Set<String> continueOptions(boolean resume) {
        java.util.Set<String> s = new java.util.HashSet<>(TrainFamily.super.continueOptions(resume));
        s.addAll(java.util.List.of("--preset", "--ch", "--ch-mult", "--num-res-blocks", "--attn", "--dropout", "--groups",
                "--norm-eps", "--classes", "--prediction", "--min-snr-gamma", "--noise-levels", "--label-dropout", "--latent"));
        return s;
    }

    @Override
    public Integer call() throws Exception {
        if (resume != null && LatentRecipe.pending(resume)) {
            return LatentRecipe.resume(resume, train.threads, ContinueOptions.given(train.command));
        }
        if (resume == null && train.initFrom == null && latentRecipe()) {
            java.util.List<String> all = train.command.commandLine().getParseResult().originalArgs();
            // the line as typed after "train" (the tool has no options of its own before it)
            return LatentRecipe.start(this, runDir("latent"), all.subList(all.indexOf(command()) + 1, all.size()));
        }
        return TrainRunner.run(this, train.continuation(resume, out));
    }

    /** Whether this new run takes the latent recipe: asked for, or by default for a --minutes budget on images. */
    private boolean latentRecipe() {
        String r = recipe == null ? null : recipe.trim().toLowerCase(Locale.ROOT);
        if (r != null && !r.equals(LatentRecipe.NAME) && !r.equals("pixel")) {
            throw new UserException("--recipe must be latent or pixel, got '" + recipe + "'");
        }
        if ("pixel".equals(r)) {
            return false;
        }
        if (r == null && (train.minutes == null || unet.preset != null || latent != null)) {
            return false; // the default takes a budget with no pixel preset or autoencoder of the user's own
        }
        if (train.minutes == null) {
            throw new UserException("--recipe latent shares a --minutes budget between the autoencoder and the DDPM; give --minutes");
        }
        if (latent != null || unet.preset != null) {
            throw new UserException((latent != null ? "--latent" : "--preset") + " does not go with --recipe latent, which trains "
                    + "its own autoencoder and a one-level latent U-Net; leave it out, or give --recipe pixel");
        }
        DataSet d = data.open(train.seed());
        if (!d.isImage()) {
            if (r == null) {
                return false; // points keep their MLP
            }
            throw new UserException("--recipe latent encodes images, and " + d.name() + " has rows of another shape");
        }
        // refused now, not after the autoencoder's share of the budget
        int batch = Math.max(train.batch != null ? train.batch : LatentRecipe.BATCH, LatentRecipe.AE_BATCH);
        if (d.size() < batch) {
            throw new UserException("the latent recipe trains batches of " + batch + " and " + d.name() + " has " + d.size()
                    + " images; give more images, or --recipe pixel with --batch at most " + d.size());
        }
        return true;
    }

    /**
     * The DDPM phase of the latent recipe: this command's options on the latents of the autoencoder
     * in {@code ae}, the recipe's values where none was given, the budget counted from {@code budgetOriginNanos}.
     */
    int latentPhase(Path ae, long budgetOriginNanos) throws Exception {
        latent = ae;
        latentRecipe = true;
        out = ae.getParent(); // the recipe's folder, also where no --out was given
        unet.ch = unet.ch != null ? unet.ch : LatentRecipe.CH;
        unet.chMult = unet.chMult != null ? unet.chMult : new int[] {1};
        unet.numResBlocks = unet.numResBlocks != null ? unet.numResBlocks : 2;
        unet.dropout = unet.dropout != null ? unet.dropout : 0f;
        train.batch = train.batch != null ? train.batch : LatentRecipe.BATCH;
        train.lr = train.lr != null ? train.lr : LatentRecipe.LR;
        prediction = prediction != null ? prediction : "v";
        return TrainRunner.run(this, train.continuation(null, out), budgetOriginNanos);
    }

    /** Set by {@link #latentPhase}: the recipe fills in attention at the latent's size and its sampler. */
    private boolean latentRecipe;

    /** --out, or runs/DATA-NAME. */
    Path runDir(String name) {
        return out != null ? out : Path.of("runs", data.spec.replaceAll("[^A-Za-z0-9]+", "-") + "-" + name);
    }

    /** The options of this command that an autoencoder of the same data takes (data, seed, threads, logging). */
    java.util.List<String> autoencoderArgs() {
        java.util.List<String> a = new java.util.ArrayList<>(data.args());
        a.addAll(java.util.List.of("--seed", Long.toString(train.seed())));
        if (train.threads != null) {
            a.addAll(java.util.List.of("--threads", Integer.toString(train.threads)));
        }
        if (train.logEvery != null) {
            a.addAll(java.util.List.of("--log-every", Integer.toString(train.logEvery)));
        }
        return a;
    }

    /** The --minutes budget of this command. */
    double minutes() {
        return train.minutes;
    }

    @Override
    public String command() {
        return "train";
    }

    @Override
    public ai.djl.Device device() {
        return device.require();
    }

    @Override
    public String kind() {
        return Ddpm.KIND;
    }

    @Override
    public Session start(NDManager m) {
        LossType lossType = parseLoss(loss);
        Objective objective = objective();
        DataSet d = data.open(train.seed());
        boolean vectors = !d.isImage();
        Path dir = runDir(unet.presetName());
        TrainRunner.requireFresh(data.addTo(OutputPaths.plan()).input("--latent", latentRecipe ? null : latent), dir, command());
        LatentSpace space = null;
        if (latent != null) {
            if (!d.isImage()) {
                throw new UserException("--latent encodes images, and " + d.name() + " has rows of another shape");
            }
            Autoencoder ae = Autoencoder.load(latent, m);
            long t0 = System.nanoTime();
            float[] z = ae.encodeAll(d);
            space = LatentSpace.measure(ae, z, 1.0);
            d = space.scaled(z, d);
            System.err.printf(java.util.Locale.ROOT, "encoded %d images into %s latents in %.1f s%n", d.size(),
                    java.util.Arrays.toString(d.rowShape()), (System.nanoTime() - t0) / 1e9);
        }
        if (latentRecipe && unet.attn == null) {
            unet.attn = new int[] {(int) d.height()}; // attention at the latent's (only) resolution
        }
        DdpmSpec spec;
        if (d.isImage()) {
            spec = DdpmSpec.unet(unet.build(d.channels()), d.channels(), d.height(), d.width(), schedule.build(false), lossType);
        } else if (d.rowShape().length == 1) {
            requirePlanePoints(d.rowShape(), d.name());
            // an MLP on points takes no class: --classes (and the other U-Net options) would be ignored
            unet.requireNone("2-D points (" + d.name() + ") get an MLP denoiser, unconditional");
            spec = DdpmSpec.mlp(MlpDenoiser.Config.toy((int) d.rowShape()[0]), schedule.build(true), lossType);
        } else {
            throw new UserException("cannot train on rows of shape " + java.util.Arrays.toString(d.rowShape())
                    + ": give images [C,H,W] or vectors [D]");
        }
        // 2-D points: short runs of big batches on one thread (more threads only cost at this size).
        TrainConfig cfg = withPrecision(train.build(vectors ? new TrainOptions.Defaults(1500, 256, 1e-3, 1.0, 1)
                : TrainOptions.Defaults.of(2e-4, 1.0)));
        requireBatchFits(cfg, d);
        spec = spec.withObjective(objective);
        requireLabels(spec, d);
        requireLabelDropoutFits(spec);
        Ddpm ddpm = Ddpm.create(spec, m, train.seed());
        if (latentRecipe) {
            ddpm.setDefaultSampler(LatentRecipe.SAMPLER);
        }
        return session(ddpm, d, data.describe(train.seed()).toString(), labelDropout(null), cfg, dir,
                "training " + spec + " on " + d.name() + " (" + d.size() + " rows) into " + dir, space);
    }

    /** --resume, or a new run started by --init-from from another's state; --dropout may change. */
    @Override
    public Session reopen(RunFolder.Continuation r, NDManager m) {
        com.google.gson.JsonObject model = com.google.gson.JsonParser.parseString(r.modelJson()).getAsJsonObject();
        DataSet d = DataOptions.reopen(model.getAsJsonObject("data"));
        // a latent DDPM encodes its images again with the autoencoder its checkpoint carries
        LatentSpace space = LatentSpace.of(r.checkpoint(), r.modelJson(), m, r.file().toString());
        if (space != null) {
            d = space.encode(d);
        }
        DdpmSpec spec = DdpmSpec.fromJson(model.getAsJsonObject("spec").toString());
        if ((prediction != null || minSnrGamma != null || noiseLevels != null) && !objective(spec.objective()).equals(spec.objective())) {
            throw new UserException("the run was trained with " + spec.objective() + "; --prediction, --min-snr-gamma and --noise-levels "
                    + "cannot change on --resume or --init-from: start a new run");
        }
        UNetConfig net = unet.onContinue(spec.unetConfig());
        if (net != null && net.dropout() != spec.unetConfig().dropout()) {
            System.err.println("dropout " + net.dropout() + " from here on (was " + spec.unetConfig().dropout() + ")");
            long[] chw = spec.rowShape();
            spec = DdpmSpec.unet(net, (int) chw[0], (int) chw[1], (int) chw[2], spec.schedule(), spec.loss())
                    .withObjective(spec.objective());
        }
        requireLabels(spec, d);
        requireLabelDropoutFits(spec);
        Ddpm ddpm = Ddpm.create(spec, m, 0);
        if (model.has("sampling")) { // the recommended sampler a recipe recorded
            ddpm.setDefaultSampler(org.diffusion4j.diffusion.SamplerSettings.fromJson(
                    model.getAsJsonObject("sampling").get("sampler").toString()));
        }
        return session(ddpm, d, model.getAsJsonObject("data").toString(), labelDropout(model),
                withPrecision(r.config()), r.dir(), null, space);
    }

    /** --label-dropout, else the run's own (saved with its model description), else the default. */
    private double labelDropout(com.google.gson.JsonObject model) {
        if (labelDropout != null) {
            return labelDropout;
        }
        return model != null && model.has("labelDropout") ? model.get("labelDropout").getAsDouble()
                : DdpmTask.DEFAULT_LABEL_DROPOUT;
    }

    /**
     * Points are drawn (sample pictures, trajectories, eval points) as x, y: a DDPM of points
     * with another dimension is refused before any work, not at its first picture.
     */
    static void requirePlanePoints(long[] rowShape, String what) {
        if (rowShape.length == 1 && rowShape[0] != 2) {
            throw new UserException(what + " has " + rowShape[0] + " values per row; DDPMs of points take 2-D points "
                    + "(two columns x, y, and an optional integer label in a CSV); give 2-D data");
        }
    }

    /** --label-dropout trains the unconditional prediction of a class-conditional model; other models have none. */
    private void requireLabelDropoutFits(DdpmSpec spec) {
        if (labelDropout != null && spec.numClasses() == 0) {
            throw new UserException("--label-dropout applies to class-conditional models (--classes K), and this one has no classes");
        }
    }

    /** A class-conditional model needs labels in 0..K-1. */
    private static void requireLabels(DdpmSpec spec, DataSet d) {
        if (spec.numClasses() == 0) {
            return;
        }
        if (!d.hasLabels()) {
            throw new UserException("a class-conditional model (" + spec.numClasses() + " classes) trains on labelled "
                    + "data, and " + d.name() + " has no labels; give labelled data (mnist; IDX images with --labels)");
        }
        if (d.numClasses() > spec.numClasses()) {
            // a stray label (200 among digits) is likelier a fault of the data than a wish for 201 classes
            throw new UserException(d.name() + " has a label " + (d.numClasses() - 1) + ", beyond the model's classes 0.."
                    + (spec.numClasses() - 1) + "; fix the labels, or give --classes " + d.numClasses()
                    + " if the data has that many classes");
        }
    }

    private static Session session(Ddpm ddpm, DataSet d, String dataDesc, double labelDropout, TrainConfig cfg, Path dir,
            String banner, LatentSpace space) {
        DdpmTask ddpmTask = new DdpmTask(ddpm, dataDesc, d.isImage() ? null : d, labelDropout);
        TrainingTask task = space == null ? ddpmTask : new LatentDdpmTask(ddpm, ddpmTask, space);
        BatcherSource source = new BatcherSource(Batcher.builder(d).batchSize(cfg.batchSize()).seed(cfg.seed()).shuffle(true)
                .dropLast(true).scaling(ddpm.spec().isImage() ? Batcher.Scaling.MINUS_ONE_TO_ONE : Batcher.Scaling.KEEP).build());
        return new Session(ddpm, task, source, cfg, dir, banner);
    }

    /** Refuses a batch larger than the data set. */
    static void requireBatchFits(TrainConfig cfg, DataSet d) {
        if (cfg.batchSize() > d.size()) {
            throw new UserException("--batch " + cfg.batchSize() + " is larger than the data set (" + d.size() + " rows)");
        }
    }

    private TrainConfig withPrecision(TrainConfig cfg) {
        return precision == null ? cfg : cfg.toBuilder().precision(Precision.parse(precision).label()).build();
    }

    /** The prediction type and loss weighting asked for, over the defaults of {@code base}. */
    private Objective objective(Objective base) {
        Prediction p = base.prediction();
        if (prediction != null) {
            p = Prediction.parse(prediction);
            if (p == null) {
                throw new UserException("--prediction must be eps, x0 or v, got '" + prediction + "'");
            }
        }
        return new Objective(p, minSnrGamma != null ? minSnrGamma : base.minSnrGamma(),
                noiseLevels != null ? parseNoiseLevels(noiseLevels) : base.noiseLevels());
    }

    /** uniform, lognormal (EDM's -1.2, 1.2) or lognormal:MEAN,STD. */
    static NoiseLevels parseNoiseLevels(String s) {
        String v = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("uniform")) {
            return NoiseLevels.UNIFORM;
        }
        if (v.equals("lognormal")) {
            return NoiseLevels.EDM;
        }
        if (v.startsWith("lognormal:")) {
            String[] parts = v.substring("lognormal:".length()).split(",");
            try {
                if (parts.length == 2) {
                    return NoiseLevels.logNormal(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]));
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
        }
        throw new UserException("--noise-levels must be uniform, lognormal or lognormal:MEAN,STD (e.g. lognormal:-1.2,1.2), got '"
                + s + "'");
    }

    private Objective objective() {
        return objective(Objective.EPS);
    }

    static LossType parseLoss(String s) {
        try {
            return LossType.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException("--loss must be l2 or l1, got '" + s + "'");
        }
    }
}
