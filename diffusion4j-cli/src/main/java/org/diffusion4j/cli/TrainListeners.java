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

            @Override
            public void onStart(Trainer t) {
                progress = new Progress("train", t.step(), t.config().steps(), mode, t.config().logEvery());
            }

            @Override
            public void onStep(Trainer t, StepRecord r) {
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
