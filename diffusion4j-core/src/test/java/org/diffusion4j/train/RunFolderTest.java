package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run folder's files and its rules for resuming and branching runs, in the library's terms. */
class RunFolderTest {
    /** 10 steps decaying from step 5, into {@code dir}. */
    private static void trainDecaying(Path dir) {
        TrainConfig c = TrainConfig.builder().steps(10).batchSize(32).lr(1e-2).lrDecayFrom(5).emaDecay(0.99).seed(3)
                .checkpointEvery(1000).sampleEvery(0).build();
        try (NDManager m = Runtime.newManager(); RunFolder folder = RunFolder.open(dir);
                Trainer t = folder.attach(new Trainer(new TrainerTest.RegressionTask(m, 1f), TrainerTest.DATA, c, m))) {
            t.run();
        }
    }

    @Test
    void aRunWritesItsFolderAndItsRulesSpeakOfArguments(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        trainDecaying(dir);
        assertTrue(RunFolder.holdsRun(dir));
        assertEquals(10, Files.readAllLines(dir.resolve(RunFolder.METRICS)).size());
        assertEquals(10, JsonParser.parseString(Files.readString(dir.resolve(RunFolder.CONFIG))).getAsJsonObject()
                .getAsJsonObject("train").get("steps").getAsLong());
        assertThrows(UserException.class, () -> RunFolder.requireFresh(dir));
        try (NDManager m = Runtime.newManager()) {
            // The decay began at step 5: the target can no longer move, nor the decay's start.
            ScheduleLockedException locked = assertThrows(ScheduleLockedException.class,
                    () -> RunFolder.resume(dir, "regression", 20L, null, null, m));
            assertFalse(locked.branching());
            assertEquals(5, locked.decayFrom());
            assertEquals(10, locked.done());
            assertEquals(0.0, locked.rateNow()); // at step 10 the decay has reached its end
            UserException kind = assertThrows(UserException.class, () -> RunFolder.resume(dir, "vae", null, null, null, m));
            assertTrue(kind.getMessage().contains("'regression'"), kind.getMessage());
            InvalidArgumentException steps = assertThrows(InvalidArgumentException.class,
                    () -> RunFolder.resume(dir, "regression", null, null, null, m));
            assertEquals("steps", steps.argument());
            assertFalse(steps.getMessage().contains("--"), steps.getMessage());

            // A new run from it must choose its own decay start, at or after the step it starts at.
            Path out = tmp.resolve("branch");
            ScheduleLockedException needs = assertThrows(ScheduleLockedException.class,
                    () -> RunFolder.branch(dir, out, "regression", null, (c, s) -> c, m));
            assertTrue(needs.branching());
            InvalidArgumentException early = assertThrows(InvalidArgumentException.class,
                    () -> RunFolder.branch(dir, out, "regression", 8L, (c, s) -> c, m));
            assertEquals("lrDecayFrom", early.argument());
            assertEquals("8", early.value());
            RunFolder.Continuation b = RunFolder.branch(dir, out, "regression", -1L,
                    (c, s) -> c.toBuilder().steps(15).lrDecayFrom(-1).build(), m);
            assertEquals(10, b.done());
            assertEquals(15, b.config().steps());
            assertEquals(out, b.dir());
            assertEquals(10, JsonParser.parseString(b.originJson()).getAsJsonObject().get("step").getAsLong());
            assertTrue(b.describe().startsWith("starting " + out + " from " + dir.resolve(RunFolder.CHECKPOINT)), b.describe());
            assertFalse(Files.exists(out.resolve(RunFolder.CHECKPOINT)), "branching alone writes nothing");
        }
    }

    @Test
    void aResumedRunKeepsItsOwnScheduleUntilTheDecay(@TempDir Path dir) {
        TrainConfig c = TrainConfig.builder().steps(6).batchSize(32).lr(1e-2).emaDecay(0.99).seed(3)
                .checkpointEvery(1000).sampleEvery(0).build();
        try (NDManager m = Runtime.newManager()) {
            try (RunFolder folder = RunFolder.open(dir);
                    Trainer t = folder.attach(new Trainer(new TrainerTest.RegressionTask(m, 1f), TrainerTest.DATA, c, m))) {
                t.run();
            }
            InvalidArgumentException past = assertThrows(InvalidArgumentException.class,
                    () -> RunFolder.resume(dir, "regression", 20L, null, 4L, m));
            assertEquals("lrDecayFrom", past.argument());
            RunFolder.Continuation r = RunFolder.resume(dir, "regression", 20L, 1, 12L, m);
            assertEquals(6, r.done());
            assertEquals(20, r.config().steps());
            assertEquals(12, r.config().lrDecayFrom());
            assertEquals(1, r.config().threads());
            assertNull(r.originJson());
            assertEquals("resuming " + dir + " at step 6 of 20 from " + dir.resolve("checkpoint.bin"), r.describe());
            List<String> unchanged = List.of(c.toBuilder().steps(20).lrDecayFrom(12).threads(1).build().toJson());
            assertEquals(unchanged, List.of(r.config().toJson()));
        }
    }
}
