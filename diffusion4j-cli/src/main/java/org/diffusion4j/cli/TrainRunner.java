package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.Locale;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.ScheduleLockedException;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.train.TrainingDivergedException;

/**
 * The one skeleton of every train command: a new run, or a run continued (--resume) or branched
 * (--init-from); the run folder locked and written; Ctrl-C and SIGTERM finishing the step and
 * saving; a one-line summary; the rules' messages in the command's own terms.
 */
final class TrainRunner {
    private TrainRunner() {}

    /**
     * What --resume may change: the step target, the decay start while it lies ahead, and how the
     * run is computed, logged and saved; never what it learns from or how (it continues exactly).
     */
    static final Set<String> ON_RESUME = Set.of("--resume", "--device", "--steps", "--decay-from", "--threads", "--precision",
            "--sample-every", "--checkpoint-every", "--keep-checkpoints", "--log-every");
    /** What --init-from may change besides: the new run's folder and its training schedule. */
    static final Set<String> ON_INIT_FROM = Stream.concat(ON_RESUME.stream().filter(o -> !o.equals("--resume")),
            Stream.of("--init-from", "--out", "--batch", "--lr", "--warmup", "--clip", "--ema", "--seed"))
            .collect(Collectors.toUnmodifiableSet());

    /** Runs the family's train command; returns the exit code (130 if stopped by a signal). */
    static int run(TrainFamily family, ContinueOptions options) throws Exception {
        return run(family, options, Main.commandStartNanos());
    }

    /**
     * As {@link #run(TrainFamily, ContinueOptions)}, a --minutes budget counted from {@code budgetOriginNanos}
     * ({@link System#nanoTime()}'s scale) instead of the command's start: a later phase of a command.
     */
    static int run(TrainFamily family, ContinueOptions options, long budgetOriginNanos) throws Exception {
        if (options.resume() != null && options.initFrom() != null) {
            throw new UserException("give either --resume (continue a run in its folder) or --init-from (start a new run from one), not both");
        }
        if (options.continues()) {
            requireApplicable(family, options);
        }
        TorchRuntime.init();
        try (NDManager m = org.diffusion4j.TorchRuntime.newManager(family.device())) {
            if (!options.continues()) {
                TrainFamily.Session s = family.start(m);
                return train(family, s, null, m, budgetOriginNanos);
            }
            RunFolder.Continuation c = continuation(family, options, m);
            if (options.resume() != null) {
                // the bookkeeping options the user gave (the others were refused above; no new warm-up here)
                c = c.withConfig(options.override().apply(c.config(), c.done()));
            }
            TrainFamily.Session s = family.reopen(c, m);
            return train(family, s, c.withConfig(s.config()), m, budgetOriginNanos);
        }
    }

    /** Refuses an option given with --resume or --init-from that the continued run would silently ignore. */
    private static void requireApplicable(TrainFamily f, ContinueOptions options) {
        boolean resume = options.resume() != null;
        Set<String> allowed = f.continueOptions(resume);
        for (String o : options.given().stream().sorted().toList()) {
            if (!allowed.contains(o)) {
                throw new UserException(o + " cannot be given with " + (resume
                        ? "--resume, which continues the run exactly as it was set up; to train on with another "
                                + o + ", start a new run from it: --init-from RUN_DIR --out NEW_DIR"
                        : "--init-from: the new run keeps the source run's model, data, schedule and loss; start a fresh run to change it")
                        + " (with " + (resume ? "--resume" : "--init-from") + " may be given: "
                        // the options it applies; those a family only checks (--preset...) are refused later anyway
                        + allowed.stream().filter((resume ? ON_RESUME : ON_INIT_FROM)::contains)
                                .filter(a -> !a.equals("--resume") && !a.equals("--init-from")).sorted()
                                .collect(Collectors.joining(", ")) + ")");
            }
        }
    }

    /**
     * Refuses to start a new run in a folder that already holds one, or that is (or lies inside) one
     * of the command's {@code inputs}.
     */
    static void requireFresh(OutputPaths.Plan inputs, Path dir, String command) {
        inputs.folder("--out", dir).check();
        if (RunFolder.holdsRun(dir)) {
            throw new UserException(dir + " already holds a run; continue it with " + command + " --resume "
                    + dir + " or choose another --out");
        }
    }

    private static RunFolder.Continuation continuation(TrainFamily f, ContinueOptions o, NDManager m) {
        try {
            if (o.resume() != null) {
                return RunFolder.resume(o.resume(), f.kind(), o.steps(), o.threads(), o.decayFrom(), m);
            }
            if (o.out() == null) {
                throw new UserException("--init-from needs --out: the folder of the new run");
            }
            requireFresh(OutputPaths.plan().input("--init-from", o.initFrom()), o.out(), f.command());
            return RunFolder.branch(o.initFrom(), o.out(), f.kind(), o.decayFrom(), o.override(), m);
        } catch (ScheduleLockedException e) {
            throw new UserException(scheduleLocked(e), e);
        }
    }

    private static String scheduleLocked(ScheduleLockedException e) {
        String since = e.run() + " has been decaying its learning rate since step " + e.decayFrom();
        if (e.branching()) {
            return since + "; give the new run's --decay-from (a step at or after " + e.done() + ", or -1 for none)";
        }
        return since + "; its --steps and --decay-from can no longer change (to end sooner or later, start a new run from it: "
                + "--init-from " + e.run() + " --out NEW_DIR --steps N --decay-from " + e.done() + " --lr "
                + String.format(Locale.ROOT, "%.3g", e.rateNow()) + ", its rate now)";
    }

    private static int train(TrainFamily f, TrainFamily.Session s, RunFolder.Continuation c, NDManager m, long budgetOrigin)
            throws Exception {
        Path dir = s.dir();
        try (s) {
            Trainer.Result r;
            try (RunFolder folder = RunFolder.open(dir); Trainer trainer = new Trainer(s.task(), s.source(), s.config(), m)) {
                if (c != null && c.fallback() != null) {
                    System.err.println(c.fallback());
                }
                System.err.println(s.banner() != null ? s.banner() : c.describe());
                folder.attach(trainer, budgetOrigin).addListener(TrainListeners.lossCurve(folder))
                        .addListener(TrainListeners.progress(Progress.Mode.AUTO));
                if (c != null) {
                    c.restoreInto(trainer);
                }
                try (StopOnSignal stop = new StopOnSignal(() -> "stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)",
                        trainer::requestStop, () -> "the steps since the newest checkpoint are lost; " + f.command()
                                + " --resume " + dir + " continues from it")) {
                    r = trainer.run();
                } catch (TrainingDivergedException e) {
                    throw new UserException(diverged(e, folder, f.command(), m), e);
                }
            }
            printSummary(r, r.target(), dir);
            if (r.interrupted()) {
                System.out.println("checkpoint saved; continue with: ./diffusion4j " + f.command() + " --resume " + dir);
                return Main.EXIT_INTERRUPTED;
            }
        }
        return f.finish(dir, m);
    }

    private static String diverged(TrainingDivergedException e, RunFolder folder, String command, NDManager m) {
        String saved;
        try (NDManager check = m.newSubManager()) {
            // read back: "good" only after its checksums and values are verified
            long step = Checkpoint.read(folder.checkpoint(), check).step();
            saved = e.what() + "; the run stopped, and " + folder.checkpoint() + " holds the state of step " + step
                    + " (verified: checksums and finite values): ";
        } catch (UserException damaged) {
            saved = e.what() + "; the run stopped, and its newest checkpoint does not load (" + damaged.getMessage()
                    + "), so --resume falls back to the one before: ";
        }
        return saved + (e.replays()
                ? "--resume would replay the same steps, so branch a new run from it with --init-from " + folder.dir()
                        + " --out NEW_DIR and a lower --lr or another --seed"
                : "lower --lr or keep --clip on, then --resume");
    }

    private static void printSummary(Trainer.Result r, long target, Path dir) {
        List<Float> l = r.losses();
        double tail = l.subList(Math.max(0, l.size() - 50), l.size()).stream().mapToDouble(Float::doubleValue).average().orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "%s at step %d of %d: loss (mean of last %d) %.4f, %.1f s, %.0f ms/step; run folder %s%n",
                r.interrupted() ? "stopped" : "done", r.endStep(), target, Math.min(50, l.size()), tail, r.seconds(),
                l.isEmpty() ? 0 : 1000 * r.seconds() / l.size(), dir);
    }
}
