package org.diffusion4j.train;

import com.google.gson.JsonObject;
import java.nio.file.Path;

/**
 * Writes metrics.jsonl: one line per step (step, loss, lr, gradNorm, msPerStep, skipped), with
 * the memory readings (rssMb, heapMb, heapCommittedMb) every logEvery steps; flushed at each save
 * point, so the log never lags a checkpoint.
 */
public final class MetricsListener implements TrainingListener {
    private final Path file;
    private MetricsLog log;

    public MetricsListener(Path file) {
        this.file = file;
    }

    @Override
    public void onStart(Trainer trainer) {
        log = new MetricsLog(file, trainer.step());
    }

    @Override
    public void onStep(Trainer trainer, StepRecord r) {
        JsonObject rec = new JsonObject();
        rec.addProperty("step", r.step());
        rec.addProperty("loss", r.loss());
        rec.addProperty("lr", r.learningRate());
        rec.addProperty("gradNorm", r.gradNorm());
        rec.addProperty("msPerStep", Math.round(r.millis() * 100) / 100.0);
        if (r.skipped()) {
            rec.addProperty("skipped", true);
        }
        if (r.step() % trainer.config().logEvery() == 0) {
            rec.addProperty("rssMb", Math.round(ResidentMemory.currentMb()));
            // The heap beside RSS tells a growing JVM heap from growing native memory.
            rec.addProperty("heapMb", Math.round(ResidentMemory.heapUsedMb()));
            rec.addProperty("heapCommittedMb", Math.round(ResidentMemory.heapCommittedMb()));
        }
        log.append(rec.toString());
        if (trainer.atSavePoint()) {
            log.flush();
        }
    }

    @Override
    public void onEnd(Trainer trainer) {
        if (log != null) {
            log.close();
            log = null;
        }
    }
}
