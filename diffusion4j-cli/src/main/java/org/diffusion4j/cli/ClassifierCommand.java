package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.classifier.DigitClassifier;
import org.diffusion4j.classifier.Classifier;
import org.diffusion4j.classifier.ClassifierTask;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The digit classifier whose features and softmax 'eval samples' scores images with. */
@Command(name = "classifier", mixinStandardHelpOptions = true,
        description = {"The digit classifier used by 'eval samples' (FID on its penultimate features, "
            + "Inception-Score analogue, confidence, class histogram): a small CNN, or an MLP on the pixels (--arch mlp).",
            "Trained MNIST classifiers are bundled: models/classifier-mnist.safetensors (the CNN, the default) "
                + "and models/classifier-mnist-mlp.safetensors (the MLP)."},
        subcommands = {ClassifierCommand.Train.class, ClassifierCommand.Test.class, CommandLine.HelpCommand.class})
public final class ClassifierCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Trains the classifier with the shared training loop and reports its test accuracy. */
    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train a digit classifier (--arch cnn: conv16-conv16-pool-conv32-conv32-pool-dense128-dense10; "
                + "--arch mlp: dense512-dense256-dense10 with dropout 0.2; ReLU) by softmax cross-entropy on a labelled image set with 10 classes (any 1x28x28 IDX set with labels), "
                + "then report its accuracy on the test set with the EMA weights.",
                "The run folder holds config.json, metrics.jsonl, loss.png, checkpoint.bin and classifier.bin "
                    + "(weights only: what 'eval samples --classifier' takes; copy it to models/classifier-mnist.safetensors to bundle it).",
                "Ctrl-C stops after the current step and saves a checkpoint; --resume continues exactly.",
                "Example: diffusion4j classifier train --out runs/classifier",
                "Example: diffusion4j classifier train --arch mlp --steps 6000 --batch 128 --shift 2 --out runs/classifier-mlp"})
    public static final class Train implements Callable<Integer>, TrainFamily {
        static final String WEIGHTS = "classifier.bin";

        /** The test set of the run being trained (from its saved description), or "none". */
        private String finalTest = "none";

        @Option(names = "--out", defaultValue = "runs/classifier", description = "Run folder to create (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR (--steps may raise the target).")
        Path resume;

        @Mixin
        DataOptions data;

        @Option(names = "--arch", defaultValue = DigitClassifier.CNN, description = "Network: cnn (the bundled "
                + "classifier's) or mlp (an MLP on the pixels, no weights or layers in common with the cnn) "
                + "(default: ${DEFAULT-VALUE}; with --resume: the run's own).")
        String arch;

        @Option(names = "--test", description = "Labelled test set for the final accuracy (default: mnist:test for mnist, "
                + "else the t10k-images sibling of an IDX train-images file; 'none' to skip).")
        String test;

        @Option(names = "--steps", description = "Training steps (default 2500, about 2.7 epochs of MNIST; with --resume: the run's own target).")
        Long steps;

        @Option(names = "--minutes", paramLabel = "M", description = "A wall-clock budget instead of --steps: the run "
                + "plans its step count and decay so that it ends M minutes after the command started (docs/fast-training.md).")
        Double minutes;

        @Option(names = "--decay-from", paramLabel = "STEP", description = "From this step on, decay the learning rate "
                + "linearly to 0 at --steps (default: no decay; with --resume: a step at or after the run's last one).")
        Long decayFrom;

        @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
        double lr;

        @Option(names = "--ema", defaultValue = "0.999", description = "EMA decay of the weights (default: ${DEFAULT-VALUE}).")
        double ema;

        @Option(names = "--shift", defaultValue = "1", description = "Augmentation: random translations of up to this many pixels; 0: none (default: ${DEFAULT-VALUE}).")
        int shift;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, data order and augmentation (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--threads", converter = ThreadsConverter.class, description = "PyTorch intra-op threads (default: all cores).")
        Integer threads;

        @Option(names = "--checkpoint-every", defaultValue = "500", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
        int checkpointEvery;

        @Option(names = "--log-every", defaultValue = "100", description = "Steps between log lines when output is not a terminal (default: ${DEFAULT-VALUE}).")
        int logEvery;

        @Override
        public Integer call() throws Exception {
            if (shift < 0 || shift > 8) {
                throw new UserException("--shift must be in 0..8, got " + shift);
            }
            if (minutes != null && decayFrom != null) {
                throw new UserException("--minutes plans the decay itself; give --minutes or --steps with --decay-from, not both");
            }
            // No --init-from here; --decay-from lets a resumed run end with a decay.
            return TrainRunner.run(this, new ContinueOptions(resume, null, out, steps, threads, decayFrom, (c, s) -> c,
                    ContinueOptions.given(commandSpec)));
        }

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec commandSpec;

        /** A classifier run continues with its own settings: only the step target, the decay start and threads may change. */
        @Override
        public java.util.Set<String> continueOptions(boolean resume) {
            return java.util.Set.of("--resume", "--steps", "--decay-from", "--threads");
        }

        @Override
        public String command() {
            return "classifier train";
        }

        @Override
        public String kind() {
            return Classifier.KIND;
        }

        @Override
        public Session start(NDManager m) {
            org.diffusion4j.train.TimeBudget budget = TrainOptions.budget(minutes, steps != null);
            long total = budget != null ? TrainConfig.UNPLANNED_STEPS : steps == null ? 2500 : steps;
            DataSet d = data.open(seed);
            requireLabelledImages(d, data.spec);
            DigitClassifier.Config cc = config(d);
            TrainRunner.requireFresh(data.addTo(OutputPaths.plan()), out, command());
            if (batch > d.size()) {
                throw new UserException("--batch " + batch + " is larger than the data set (" + d.size() + " rows)");
            }
            TrainConfig cfg = TrainConfig.builder().steps(total).batchSize(batch).lr(lr)
                    .warmupSteps(Math.min(100, total / 10)).lrDecayFrom(decayFrom != null ? decayFrom : -1).gradClip(0).emaDecay(ema).seed(seed)
                    .logEvery(logEvery).checkpointEvery(checkpointEvery).sampleEvery(0)
                    .threads(threads != null ? threads : 0)
                    // no pictures: a classifier draws none
                    .budget(budget == null ? null : new org.diffusion4j.train.TimeBudget(budget.seconds(),
                            budget.probeSteps(), budget.decayFraction(), 0, null)).build();
            JsonObject desc = data.describe(seed);
            desc.addProperty("shift", shift);
            desc.addProperty("test", testSpec());
            return session(Classifier.create(cc, m, seed), d, desc, cfg, out,
                    "training the digit classifier (" + cc.describe() + ") on " + d.name() + " (" + d.size() + " images) into " + out);
        }

        @Override
        public Session reopen(org.diffusion4j.train.RunFolder.Continuation r, NDManager m) {
            JsonObject model = com.google.gson.JsonParser.parseString(r.modelJson()).getAsJsonObject();
            JsonObject desc = model.getAsJsonObject("data");
            DataSet d = DataOptions.reopen(desc);
            DigitClassifier.Config cc = DigitClassifier.Config.fromJson(model.get("config").toString());
            return session(Classifier.create(cc, m, 0), d, desc, r.config(), r.dir(), null);
        }

        private Session session(Classifier c, DataSet d, JsonObject desc, TrainConfig cfg, Path dir, String banner) {
            Batcher batcher = Batcher.builder(d).batchSize(cfg.batchSize()).seed(cfg.seed()).shuffle(true).dropLast(true)
                    .scaling(Batcher.Scaling.KEEP).build();
            int sh = desc.has("shift") ? desc.get("shift").getAsInt() : 0;
            finalTest = desc.has("test") ? desc.get("test").getAsString() : "none";
            return new Session(c, new ClassifierTask(c, desc.toString()), ClassifierTask.source(batcher, sh, cfg.seed()),
                    cfg, dir, banner);
        }

        /** Exports the EMA weights and reports the test accuracy. */
        @Override
        public int finish(Path dir, NDManager m) {
            Path weights = dir.resolve(WEIGHTS);
            Classifier.exportWeights(dir.resolve(RunFolder.CHECKPOINT), weights, m);
            if (!"none".equals(finalTest)) {
                DataSet t = Datasets.open(finalTest);
                requireLabelledImages(t, finalTest);
                long t0 = System.nanoTime();
                try (Classifier ema = Classifier.load(weights, m)) {
                    double acc = ema.accuracy(t, 256);
                    System.out.printf(Locale.ROOT, "test accuracy (EMA weights) on %s: %.2f%% of %d images (%.1f s)%n",
                            finalTest, 100 * acc, t.size(), (System.nanoTime() - t0) / 1e9);
                }
            }
            System.out.println("weights for 'eval samples --classifier': " + weights);
            return 0;
        }

        private String testSpec() {
            if (test != null) {
                return test;
            }
            String s = data.spec.strip();
            if (s.equalsIgnoreCase("mnist") || s.equalsIgnoreCase("mnist:train")) {
                return "mnist:test";
            }
            Path p = Path.of(s);
            String name = p.getFileName() == null ? "" : p.getFileName().toString();
            if (name.startsWith("train-images")) {
                Path sib = p.resolveSibling(name.replace("train-images", "t10k-images"));
                if (Files.isRegularFile(sib)) {
                    return sib.toString();
                }
            }
            return "none";
        }

        /** The --arch preset for the images of d; the cnn needs sides that are multiples of 4. */
        private DigitClassifier.Config config(DataSet d) {
            String a = arch.strip().toLowerCase(Locale.ROOT);
            if (!DigitClassifier.ARCHS.contains(a)) {
                throw new UserException("--arch must be one of " + String.join(", ", DigitClassifier.ARCHS) + ", got " + arch);
            }
            if (a.equals(DigitClassifier.CNN) && (d.height() % 4 != 0 || d.width() % 4 != 0)) {
                throw new UserException(data.spec + ": images of " + d.height() + "x" + d.width()
                        + "; the cnn classifier needs sides that are multiples of 4 (28x28 for MNIST; --arch mlp takes any)");
            }
            return DigitClassifier.Config.preset(a, d.channels(), d.height(), d.width());
        }

        static void requireLabelledImages(DataSet d, String spec) {
            if (!d.isImage() || !d.hasLabels()) {
                throw new UserException(spec + ": the classifier needs labelled images (an IDX images file with its labels, "
                        + "or a folder of class sub-folders); got " + d);
            }
            if (d.numClasses() > 10) {
                throw new UserException(spec + ": has " + d.numClasses() + " classes; the digit classifier has 10");
            }
        }
    }

    /** The accuracy of a classifier on a labelled test set. */
    @Command(name = "test", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Accuracy of a digit classifier (default: the bundled one) on a labelled image set.",
                "Example: diffusion4j classifier test --classifier runs/classifier/classifier.bin"})
    public static final class Test implements Callable<Integer> {
        @Option(names = "--classifier", paramLabel = "FILE", description = "Classifier weights, checkpoint or run folder (default: the bundled models/classifier-mnist.safetensors).")
        Path classifier;

        @Option(names = "--data", defaultValue = "mnist:test", description = "Labelled images (default: ${DEFAULT-VALUE}).")
        String data;

        @Option(names = "--batch", defaultValue = "256", description = "Images per network call (default: ${DEFAULT-VALUE}).")
        int batch;

        @Override
        public Integer call() {
            if (batch < 1) {
                throw new UserException("--batch must be >= 1, got " + batch);
            }
            DataSet d = Datasets.open(data);
            Train.requireLabelledImages(d, data);
            TorchRuntime.init();
            Path source = classifier != null ? classifier : BundledModels.classifierMnist();
            long t0 = System.nanoTime();
            try (NDManager m = TorchRuntime.newManager(); Classifier c = Classifier.load(source, m)) {
                double acc = c.accuracy(d, batch);
                System.out.printf(Locale.ROOT, "accuracy of %s on %s: %.2f%% of %d images (%.1f s)%n",
                        source, data, 100 * acc, d.size(), (System.nanoTime() - t0) / 1e9);
                return 0;
            }
        }
    }
}
