package org.diffusion4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.StepRecord;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.train.TrainingListener;

/** The listeners the command line adds to a trainer: the progress bar (or lines) and loss.png. */
final class TrainListeners {
    private TrainListeners() {}

    /** Progress on stderr (a bar on a terminal, lines otherwise), with a warning for each skipped update. */
    static TrainingListener progress(Progress.Mode mode) {
        return new TrainingListener() {
            private Progress progress;
            private long total;

            @Override
            public void onStart(Trainer t) {
                total = target(t);
                progress = new Progress("train", t.step(), total, mode, t.config().logEvery());
            }

            @Override
            public void onStep(Trainer t, StepRecord r) {
                if (target(t) != total) { // a budgeted run has planned its steps
                    total = target(t);
                    progress.retarget(total);
                    System.err.printf(Locale.ROOT, "%nplanned for the time budget: %s%n", t.config().budget().plan());
                }
                if (r.skipReason() != null) {
                    System.err.printf(Locale.ROOT, "%nwarning: step %d has a %s; update skipped%n", r.step(), r.skipReason());
                }
                progress.update(r.step(), String.format(Locale.ROOT, "loss %.4f", r.loss()));
            }

            @Override
            public void onEnd(Trainer t) {
                if (progress != null) {
                    progress.close();
                    progress = null;
                }
            }
        };
    }

    /** The step target, or -1 while a budgeted run has not planned it. */
    private static long target(Trainer t) {
        return t.config().awaitingPlan() ? -1 : t.config().steps();
    }

    /** loss.png in the run folder, redrawn from metrics.jsonl at every save point. */
    static TrainingListener lossCurve(RunFolder folder) {
        Path dir = folder.dir();
        return new TrainingListener() {
            @Override
            public void onStep(Trainer t, StepRecord r) {
                if (t.atSavePoint()) {
                    Pictures.lossCurve(dir);
                }
            }
        };
    }
}
