package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wall-clock budget plans the run's steps and decay from measured speed, once, and resumes exactly. */
class TimeBudgetTest {
    private static final TimeBudget.Measured M = new TimeBudget.Measured(35, 12.0, 0.5, 1.5, 4.0);

    /** The cost of n more steps, counted independently: step by step, event by event. */
    private static double bruteCost(TimeBudget.Measured m, long n, int ckEvery, int picEvery) {
        double s = 0;
        for (long k = m.done() + 1; k <= m.done() + n; k++) {
            s += m.secondsPerStep();
            boolean end = k == m.done() + n;
            if (k % ckEvery == 0 || end) {
                s += m.checkpointSeconds();
            }
            if (picEvery > 0 && (k % picEvery == 0 || end)) {
                s += m.pictureSeconds();
            }
        }
        return s;
    }

    @Test
    void plansTheLargestRunThatFitsAndEndsAnnealed() {
        TimeBudget b = new TimeBudget(600, 30, 0.3, 5, null);
        TimeBudget.Plan p = b.plan(M, 100, 0, 200);
        // the same measurements give the same plan
        assertEquals(p, b.plan(M, 100, 0, 200));
        long n = p.steps() - M.done();
        double left = 600 - 12.0 - 6.0; // the reserve: 1% of the budget, at least 2 s
        int every = (int) (p.steps() / 5);
        assertEquals(every, p.sampleEvery());
        assertTrue(bruteCost(M, n, 100, every) <= left, "fits");
        // one more step would not (with its own picture interval)
        assertTrue(bruteCost(M, n + 1, 100, (int) ((p.steps() + 1) / 5)) > left, "largest");
        // about (600 - 12 - 6 - 5 pictures of 4 s - checkpoints) / 0.5 steps
        assertTrue(n >= 1070 && n < 1124, "steps " + n);
        // the decay is the last 30% of all steps, to 0 at the end
        assertEquals(p.steps() - Math.round(0.3 * p.steps()), p.decayFrom());
        TrainConfig c = TrainConfig.builder().warmupSteps(200).budget(b).steps(TrainConfig.UNPLANNED_STEPS).build().withPlan(p);
        assertEquals(0.0, c.learningRate(p.steps()), 0.0);
        assertEquals(c.lr(), c.learningRate(p.decayFrom() - 1), 0.0);
        assertTrue(c.budget().planned());
    }

    @Test
    void userPictureIntervalAndShortBudgets() {
        TimeBudget b = new TimeBudget(120, 30, 0.5, 5, null);
        TimeBudget.Plan p = b.plan(M, 50, 40, 0);
        assertEquals(40, p.sampleEvery());
        assertTrue(bruteCost(M, p.steps() - M.done(), 50, 40) <= 120 - 12 - 2);
        // a budget already spent still trains one step (and cannot anneal: no decay)
        TimeBudget.Plan late = new TimeBudget(10, 30, 0.3, 0, null).plan(M, 50, 0, 0);
        assertEquals(M.done() + 1, late.steps());
        assertEquals(M.done(), late.decayFrom());
        // a warm-up longer than the plan leaves no decay
        TimeBudget.Plan warm = b.plan(M, 50, 0, 10_000);
        assertEquals(-1, warm.decayFrom());
        assertThrows(InvalidArgumentException.class, () -> new TimeBudget(0, 30, 0.3, 5, null));
        assertThrows(InvalidArgumentException.class, () -> new TimeBudget(60, 30, 0, 5, null));
        assertEquals(2, TimeBudget.events(0, 100, 50));
        assertEquals(3, TimeBudget.events(10, 101, 50));
    }

    private static TrainConfig budgeted(double seconds) {
        return TrainConfig.builder().steps(TrainConfig.UNPLANNED_STEPS).batchSize(32).lr(1e-2).warmupSteps(5)
                .emaDecay(0.99).seed(3).checkpointEvery(40).sampleEvery(0).logEvery(1000)
                .budget(new TimeBudget(seconds, 10, 0.3, 0, null)).build();
    }

    /** A clock that advances 0.1 s each time it is read: the plan then depends on nothing outside the test. */
    private static LongSupplier fakeClock() {
        long[] t = {0};
        return () -> t[0] += 100_000_000L;
    }

    /** Trains (or resumes) a budgeted run in {@code dir}, stopping after {@code stopAt} steps if >= 0. */
    private static Trainer.Result train(Path dir, boolean resume, long stopAt) {
        try (NDManager m = Runtime.newManager()) {
            TrainerTest.RegressionTask task = new TrainerTest.RegressionTask(m, 1f);
            RunFolder.Continuation c = resume ? RunFolder.resume(dir, "regression", null, null, null, m) : null;
            try (RunFolder folder = RunFolder.open(dir);
                    Trainer t = folder.attach(new Trainer(task, TrainerTest.DATA, resume ? c.config() : budgeted(12), m),
                            fakeClock(), 0)) {
                if (c != null) {
                    c.restoreInto(t);
                }
                if (stopAt >= 0) {
                    t.addListener(new TrainingListener() {
                        @Override
                        public void onStep(Trainer tr, StepRecord r) {
                            if (tr.step() == stopAt) {
                                tr.requestStop();
                            }
                        }
                    });
                }
                return t.run();
            }
        }
    }

    private static float[][] weights(Path dir) {
        try (NDManager m = Runtime.newManager()) {
            Checkpoint c = Checkpoint.read(dir.resolve(Trainer.CHECKPOINT), m);
            NamedArrays model = c.section("model");
            NamedArrays ema = c.section("ema");
            float[][] out = new float[model.size() + ema.size()][];
            for (int i = 0; i < model.size(); i++) {
                out[i] = model.get(i).toFloatArray();
            }
            for (int i = 0; i < ema.size(); i++) {
                out[model.size() + i] = ema.get(i).toFloatArray();
            }
            return out;
        }
    }

    @Test
    void aBudgetedRunPlansOnceAndResumesExactly(@TempDir Path a, @TempDir Path b) throws Exception {
        Runtime.init();
        Trainer.Result whole = train(a, false, -1);
        // 12 s at 0.1 s per step (the fake clock is read once per step) is about 90 steps after the probe
        TrainConfig planned;
        try (NDManager m = Runtime.newManager()) {
            planned = Checkpoint.read(a.resolve(Trainer.CHECKPOINT), m).trainConfig();
        }
        assertNotNull(planned.budget().plan());
        assertEquals(whole.endStep(), planned.steps());
        assertEquals(planned.steps(), whole.target());
        assertTrue(planned.steps() > 60 && planned.steps() < 120, "planned " + planned.steps());
        assertEquals(0.0, planned.learningRate(planned.steps()), 0.0);
        assertTrue(Files.readString(a.resolve(Trainer.CONFIG)).contains("\"plan\""), "config.json holds the plan");

        // stopped after the plan, then resumed: the same steps at the same rates, bit for bit
        Trainer.Result first = train(b, false, 50);
        assertTrue(first.interrupted());
        Trainer.Result rest = train(b, true, -1);
        assertEquals(whole.endStep(), rest.endStep());
        float[][] wa = weights(a);
        float[][] wb = weights(b);
        for (int i = 0; i < wa.length; i++) {
            assertArrayEquals(wa[i], wb[i], 0f, "array " + i);
        }
    }

    @Test
    void aRunWithoutBudgetHasNoPlan() {
        TrainConfig c = TrainConfig.builder().build();
        assertNull(c.budget());
        assertTrue(!c.awaitingPlan());
        assertTrue(!c.toJson().contains("budget"), "configs of runs without a budget are unchanged");
        TrainConfig back = TrainConfig.fromJson(budgeted(60).toJson());
        assertEquals(budgeted(60), back);
    }
}
