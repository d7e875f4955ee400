package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.diffusion.Timesteps;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.latent.Autoencoder;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.CheckpointGenerations;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.Trainer;
import picocli.CommandLine;

/**
 * The latent recipe of {@code train --minutes M} on images (docs/fast-training.md, Lever 6): one
 * command, two runs. An autoencoder ({@code ae train}) trains for the first {@link #AE_SHARE} of
 * the budget into OUT/autoencoder; then the DDPM trains on its latents in OUT until the budget,
 * counted from the command's start, is spent. OUT/recipe.json keeps the command, so that
 * {@code train --resume OUT} finishes whichever phase was interrupted and goes on to the next.
 */
final class LatentRecipe {
    static final String NAME = "latent";
    /** The autoencoder's share of the budget: 18 of 56 minutes in the measured hour (docs/fast-training.md). */
    static final double AE_SHARE = 0.3;
    static final String FILE = "recipe.json";
    static final String AE_DIR = "autoencoder";
    /** The latent U-Net's base channels, batch and learning rate: those of the measured hour. */
    static final int CH = 64;
    static final int BATCH = 128;
    static final double LR = 1e-3;
    /** The autoencoder's batch ('ae train''s default). */
    static final int AE_BATCH = 64;
    /**
     * The sampler its measurements used (the toolkit's fast default: SDE-DPM-Solver++(2M), 16
     * trailing steps, eta 1.1), recorded with the run; latents are not clipped to [-1, 1].
     */
    static final SamplerSettings SAMPLER = SamplerSettings.of(SamplerSettings.Kind.DPMPP_2M_SDE).withSteps(16)
            .withSpacing(Timesteps.Spacing.TRAILING).withEta(1.1).withClip(false);

    private LatentRecipe() {}

    /** A new run of the recipe into {@code dir}; {@code args} is the command line, kept for --resume. */
    static int start(TrainCommand c, Path dir, List<String> args) throws Exception {
        Path ae = dir.resolve(AE_DIR);
        TrainRunner.requireFresh(c.data.addTo(org.diffusion4j.io.OutputPaths.plan()), dir, "train");
        if (Files.exists(dir.resolve(FILE)) || Files.exists(ae)) {
            throw new UserException(dir + " already holds a run of the latent recipe; continue it with train --resume " + dir
                    + " or choose another --out");
        }
        double aeMinutes = AE_SHARE * c.minutes();
        Files.createDirectories(dir);
        JsonObject o = new JsonObject();
        o.addProperty("recipe", NAME);
        o.addProperty("minutes", c.minutes());
        o.addProperty("autoencoderMinutes", aeMinutes);
        JsonArray a = new JsonArray();
        args.forEach(a::add);
        o.add("args", a);
        AtomicFiles.write(dir.resolve(FILE), o.toString().getBytes(StandardCharsets.UTF_8));
        System.err.printf(Locale.ROOT, "latent recipe: an autoencoder for %.1f of %.1f minutes into %s, then a DDPM on its "
                + "latents in %s (docs/fast-training.md)%n", aeMinutes, c.minutes(), ae, dir);
        int rc = autoencoder(freshArgs(c, ae, aeMinutes), dir);
        return rc != 0 ? rc : c.latentPhase(ae, Main.commandStartNanos());
    }

    /** Whether {@code run} is a run of the recipe whose DDPM has not begun (its autoencoder may be unfinished). */
    static boolean pending(Path run) {
        return Files.isRegularFile(run.resolve(FILE)) && !RunFolder.holdsRun(run);
    }

    /**
     * Goes on with a run of the recipe whose DDPM has not begun: the autoencoder resumed (or
     * started, if it saved nothing) and finished, then the DDPM, with what is left of the budget as
     * it was planned ({@code 1 - AE_SHARE} of it when the autoencoder trained in an earlier process).
     */
    static int resume(Path dir, Integer threads, java.util.Set<String> given) throws Exception {
        for (String o : given) {
            if (!o.equals("--resume") && !o.equals("--threads")) {
                throw new UserException(o + " cannot be given with --resume of " + dir + ", a run of the latent recipe whose DDPM "
                        + "has not begun; it goes on as its command (" + dir.resolve(FILE) + ") says (--threads may be given)");
            }
        }
        JsonObject o;
        try {
            o = JsonParser.parseString(Files.readString(dir.resolve(FILE))).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new UserException(dir.resolve(FILE) + " is not readable (" + e.getMessage() + "); start the run again in a new folder");
        }
        List<String> args = new ArrayList<>();
        try {
            o.getAsJsonArray("args").forEach(e -> args.add(e.getAsString()));
        } catch (RuntimeException e) {
            throw new UserException(dir.resolve(FILE) + " does not hold the run's command; start the run again in a new folder");
        }
        if (threads != null) {
            args.removeIf(s -> s.startsWith("--threads="));
            int i = args.indexOf("--threads");
            if (i >= 0) {
                args.remove(i + 1);
                args.remove(i);
            }
            args.addAll(List.of("--threads", Integer.toString(threads)));
        }
        TrainCommand c = new TrainCommand();
        double aeMinutes;
        try {
            new CommandLine(c).parseArgs(args.toArray(String[]::new));
            aeMinutes = o.get("autoencoderMinutes").getAsDouble();
        } catch (RuntimeException e) { // picocli's ParameterException among them
            throw new UserException(dir.resolve(FILE) + " does not hold a command this version reads (" + e.getMessage()
                    + "); start the run again in a new folder");
        }
        Path ae = dir.resolve(AE_DIR);
        boolean fresh = !RunFolder.holdsRun(ae);
        if (fresh || !finished(ae)) {
            List<String> a = fresh ? freshArgs(c, ae, aeMinutes) : new ArrayList<>(List.of("--resume", ae.toString()));
            if (!fresh && threads != null) {
                a.addAll(List.of("--threads", Integer.toString(threads)));
            }
            int rc = autoencoder(a, dir);
            if (rc != 0) {
                return rc;
            }
        }
        // the budget's origin: the command's start when the autoencoder took its share here, else as if it just had
        long origin = fresh ? Main.commandStartNanos() : System.nanoTime() - (long) (aeMinutes * 60e9);
        return c.latentPhase(ae, origin);
    }

    private static List<String> freshArgs(TrainCommand c, Path ae, double minutes) {
        List<String> a = new ArrayList<>(c.autoencoderArgs());
        a.addAll(List.of("--out", ae.toString(), "--minutes", String.format(Locale.ROOT, "%.6f", minutes)));
        return a;
    }

    /** Runs 'ae train' with {@code args}; an interrupted one says how the recipe goes on. */
    private static int autoencoder(List<String> args, Path dir) throws Exception {
        AeCommand.Train t = new AeCommand.Train();
        new CommandLine(t).parseArgs(args.toArray(String[]::new));
        int rc = t.call();
        if (rc != 0) {
            System.out.println("the latent recipe goes on (autoencoder, then DDPM) with: ./diffusion4j train --resume " + dir);
        }
        return rc;
    }

    /** Whether the autoencoder in {@code ae} reached its (planned) step count. */
    private static boolean finished(Path ae) {
        TorchRuntime.init();
        try (NDManager m = TorchRuntime.newManager()) {
            Checkpoint c = CheckpointGenerations.readNewestIntact(ae.resolve(Trainer.CHECKPOINT), Autoencoder.KIND, m).checkpoint();
            return !c.trainConfig().awaitingPlan() && c.step() >= c.trainConfig().steps();
        }
    }
}
