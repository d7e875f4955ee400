package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Npy;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.latent.Autoencoder;
import org.diffusion4j.latent.AutoencoderConfig;
import org.diffusion4j.latent.AutoencoderTask;
import org.diffusion4j.latent.LatentScale;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The image autoencoder of latent diffusion: train one, encode a data set into latents that
 * 'train --data' learns like any data, and decode the latents that 'sample --npy' draws.
 */
@Command(name = "ae", mixinStandardHelpOptions = true,
        description = {"An image autoencoder for latent diffusion (docs/fast-training.md): 'ae train', then 'ae encode' "
            + "the data into latents, 'train --data LATENTS.npy' a DDPM on them, 'sample --npy' latents and 'ae decode' them."},
        subcommands = {AeCommand.Train.class, AeCommand.Encode.class, AeCommand.Decode.class, CommandLine.HelpCommand.class})
public final class AeCommand implements Runnable {
    /**
     * The latents' file convention: per channel standardised (mean 0, std 1 over the encoded data),
     * divided by a range R and mapped to [0, 1] as images are, so that 'train' (which maps [0, 1]
     * to [-1, 1]) sees them at std 1/R. R = 1 gives unit variance, as latent diffusion does; sample
     * them with --no-clip (x0 estimates of images are clipped to [-1, 1], which would cut latents at
     * 1 std). R = 3 keeps clipping harmless (beyond 3 std) at the price of a 9x lower signal-to-noise
     * ratio at every step (docs/fast-training.md compares both).
     */
    static final double DEFAULT_RANGE = 1.0;
    static final String STATS = "latent-stats.json";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train an autoencoder (L1 reconstruction) into a run folder: config.json, metrics.jsonl, "
                + "loss.png, samples/ (test images over their reconstructions), checkpoint.bin.",
                "Example: diffusion4j ae train --minutes 5 --out runs/ae"})
    public static final class Train implements Callable<Integer>, TrainFamily {
        @Option(names = "--out", defaultValue = "runs/ae", description = "Run folder to create (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue the run in RUN_DIR.")
        Path resume;

        @Mixin
        DataOptions data;

        @Option(names = "--hidden", split = ",", description = "Channels per level, one halving each (default: 32,64).")
        int[] hidden;

        @Option(names = "--latent-channels", defaultValue = "4", description = "Channels of the latent (default: ${DEFAULT-VALUE}).")
        int latentChannels;

        @Mixin
        TrainOptions train;

        @Override
        public Integer call() throws Exception {
            return TrainRunner.run(this, train.continuation(resume, out));
        }

        @Override
        public String command() {
            return "ae train";
        }

        @Override
        public String kind() {
            return Autoencoder.KIND;
        }

        @Override
        public Session start(NDManager m) {
            DataSet d = data.open(train.seed());
            if (!d.isImage()) {
                throw new UserException("the autoencoder learns images [C,H,W]; " + d.name() + " has rows of another shape");
            }
            TrainRunner.requireFresh(data.addTo(OutputPaths.plan()), out, command());
            AutoencoderConfig c = AutoencoderConfig.defaults(d.channels(), d.height(), d.width());
            c = new AutoencoderConfig(c.channels(), c.height(), c.width(), hidden != null ? hidden : c.hidden(), latentChannels,
                    c.groups());
            TrainConfig cfg = train.build(TrainOptions.Defaults.of(1e-3, 1.0));
            TrainCommand.requireBatchFits(cfg, d);
            return session(Autoencoder.create(c, m, train.seed()), d, data.describe(train.seed()), cfg, out,
                    "training " + c + " on " + d.name() + " (" + d.size() + " images) into " + out);
        }

        @Override
        public Session reopen(RunFolder.Continuation r, NDManager m) {
            JsonObject model = JsonParser.parseString(r.modelJson()).getAsJsonObject();
            JsonObject desc = model.getAsJsonObject("data");
            return session(Autoencoder.create(AutoencoderConfig.fromJson(model.get("config").toString()), m, 0),
                    DataOptions.reopen(desc), desc, r.config(), r.dir(), null);
        }

        private static Session session(Autoencoder ae, DataSet d, JsonObject desc, TrainConfig cfg, Path dir, String banner) {
            Batcher b = Batcher.builder(d).batchSize(cfg.batchSize()).seed(cfg.seed()).shuffle(true).dropLast(true)
                    .scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
            return new Session(ae, new AutoencoderTask(ae, desc.toString(), d.subset(Math.min(16, d.size()))),
                    new BatcherSource(b), cfg, dir, banner);
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Encode a data set into latents (.npy [N, Lc, h, w], standardised and mapped to [0, 1]: "
                + "'train --data' learns them as images). The first call stores the latents' per-channel mean and std "
                + "in the autoencoder's run folder (" + STATS + "); 'ae decode' inverts with them.",
                "Example: diffusion4j ae encode --run runs/ae --out latents.npy"})
    public static final class Encode implements Callable<Integer> {
        @Option(names = "--run", required = true, description = "The autoencoder's run folder.")
        Path run;

        @Mixin
        DataOptions data;

        @Option(names = "--out", required = true, description = "The latents, .npy.")
        Path out;

        @Option(names = "--range", description = "The latents are divided by this after standardising (default: 1, unit "
                + "variance: sample a DDPM trained on them with --no-clip). Fixed by the first encode of a run.")
        Double range;

        @Override
        public Integer call() throws IOException {
            data.addTo(OutputPaths.plan().input("--run", run)).file("--out", out).check();
            TorchRuntime.init();
            try (NDManager m = TorchRuntime.newManager(); Autoencoder ae = Autoencoder.load(run, m)) {
                DataSet d = data.open(0);
                long t0 = System.nanoTime();
                float[] z = ae.encodeAll(d);
                long[] ls = ae.config().latentShape();
                if (range != null && !(range > 0 && range <= 100)) {
                    throw new UserException("--range must be in (0, 100], got " + range);
                }
                LatentScale s = Stats.of(run, z, (int) ls[0], (int) (ls[1] * ls[2]), range != null ? range : DEFAULT_RANGE);
                if (range != null && range != s.range()) {
                    throw new UserException(run.resolve(STATS) + " fixes the range at " + s.range() + " (its first encode); "
                            + "leave out --range, or delete that file to encode every set again with another");
                }
                s.toUnit(z, (int) (ls[1] * ls[2]));
                Npy.write(out, z, new long[] {d.size(), ls[0], ls[1], ls[2]});
                System.out.printf(Locale.ROOT, "encoded %d images into %s latents in %.1f s -> %s%n", d.size(),
                        java.util.Arrays.toString(ls), (System.nanoTime() - t0) / 1e9, out);
            }
            return 0;
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Decode latents (as 'ae encode' writes them, or as 'sample --npy' draws them from a DDPM trained on them) "
                + "into images in [0, 1], .npy [N, C, H, W], for 'eval samples --npy'.",
                "Example: diffusion4j ae decode --run runs/ae --npy latents.npy --out images.npy"})
    public static final class Decode implements Callable<Integer> {
        @Option(names = "--run", required = true, description = "The autoencoder's run folder.")
        Path run;

        @Option(names = "--npy", required = true, description = "Latents, .npy [N, Lc, h, w].")
        Path npy;

        @Option(names = "--out", required = true, description = "The images, .npy.")
        Path out;

        @Override
        public Integer call() throws IOException {
            OutputPaths.plan().input("--run", run).input("--npy", npy).file("--out", out).check();
            TorchRuntime.init();
            try (NDManager m = TorchRuntime.newManager(); Autoencoder ae = Autoencoder.load(run, m)) {
                DataSet d = Npy.read(npy);
                long[] ls = ae.config().latentShape();
                if (!java.util.Arrays.equals(d.rowShape(), ls)) {
                    throw new UserException(npy + " holds rows of " + java.util.Arrays.toString(d.rowShape())
                            + ", not the " + java.util.Arrays.toString(ls) + " latents of " + run);
                }
                Path statsFile = run.resolve(STATS);
                if (!Files.isRegularFile(statsFile)) {
                    throw new UserException(statsFile + " is missing: encode the training data with 'ae encode --run " + run
                            + "' first (it records the latents' scale)");
                }
                float[] z = d.data().clone();
                Stats.read(statsFile).fromUnit(z, (int) (ls[1] * ls[2]));
                float[] x = ae.decodeAll(z, d.size());
                AutoencoderConfig c = ae.config();
                Npy.write(out, x, new long[] {d.size(), c.channels(), c.height(), c.width()});
                System.out.printf(Locale.ROOT, "decoded %d latents -> %s%n", d.size(), out);
            }
            return 0;
        }
    }

    /** The latents' scale, fixed by a run's first encode and kept in its folder ({@value #STATS}). */
    static final class Stats {
        private Stats() {}

        static LatentScale of(Path run, float[] z, int channels, int plane, double range) throws IOException {
            Path f = run.resolve(STATS);
            if (Files.isRegularFile(f)) {
                return read(f);
            }
            LatentScale s = LatentScale.measure(z, channels, plane, range);
            AtomicFiles.write(f, s.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return s;
        }

        static LatentScale read(Path f) throws IOException {
            return LatentScale.fromJson(Files.readString(f));
        }
    }
}
