package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --minutes: the run plans its steps from its measured speed, ends annealed near the budget, and records the plan. */
class TrainMinutesTest {
    @Test
    void aBudgetedRunPlansAndEndsWithinItsBudget(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("moons");
        long t0 = System.nanoTime();
        CliErrorsTest.Outcome o = CliErrorsTest.run("train", "--data", "toy:moons", "--minutes", "0.15", "--out", run.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, o.code(), o.err());
        JsonObject train = JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject()
                .getAsJsonObject("train");
        JsonObject plan = train.getAsJsonObject("budget").getAsJsonObject("plan");
        long steps = train.get("steps").getAsLong();
        assertEquals(steps, plan.get("steps").getAsLong());
        try (NDManager m = TorchRuntime.newManager()) {
            assertEquals(steps, Checkpoint.read(run.resolve("checkpoint.bin"), m).step(), "the run trained to its planned step");
        }
        long planStep = plan.getAsJsonObject("measured").get("done").getAsLong();
        assertEquals(35, planStep, "planned after 5 untimed and 30 timed steps");
        long decayFrom = train.get("lrDecayFrom").getAsLong();
        assertTrue(decayFrom == -1 || (decayFrom >= planStep && decayFrom < steps), "decay from " + decayFrom);
        // a 9 s budget: the run ends near it (generous bounds: the machine may be busy, and a budget
        // spent before the plan still trains one step)
        assertTrue(seconds < 9 + 60, "took " + seconds + " s");
        assertEquals(steps, Files.readAllLines(run.resolve("metrics.jsonl")).size(), "metrics of every step");
    }

    @Test
    void minutesPlansWhatStepsWouldFix(@TempDir Path dir) {
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--data", "toy:moons", "--minutes", "1", "--steps", "5",
                "--out", dir.resolve("a").toString()), "give either --minutes or --steps");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--data", "toy:moons", "--minutes", "0",
                "--out", dir.resolve("b").toString()), "--minutes must be more than 0");
    }
}
