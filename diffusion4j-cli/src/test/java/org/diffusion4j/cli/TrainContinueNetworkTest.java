package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run that goes on from another keeps its network; only dropout, which owns no weights, may change. */
class TrainContinueNetworkTest {
    private static float dropoutOf(Path run) {
        try (NDManager m = TorchRuntime.newManager()) {
            return com.google.gson.JsonParser.parseString(Checkpoint.read(run.resolve("checkpoint.bin"), m).modelJson()).getAsJsonObject()
                    .getAsJsonObject("spec").getAsJsonObject("config").get("dropout").getAsFloat();
        }
    }

    private static void assertOk(CliErrorsTest.Outcome o) {
        assertEquals(0, o.code(), o.err());
    }

    @Test
    void dropoutMayChangeOtherFieldsMayNot(@TempDir Path dir) {
        Path a = dir.resolve("a");
        assertOk(CliErrorsTest.run("train", "--preset", "tiny", "--dropout", "0.2", "--subset", "64", "--batch", "8",
                "--steps", "2", "--sample-every", "0", "--threads", "1", "--out", a.toString()));
        assertEquals(0.2f, dropoutOf(a));

        Path b = dir.resolve("b");
        assertOk(CliErrorsTest.run("train", "--init-from", a.toString(), "--dropout", "0", "--steps", "3", "--out", b.toString()));
        assertEquals(0f, dropoutOf(b));
        assertEquals(0.2f, dropoutOf(a), "the source run is untouched");

        assertOk(CliErrorsTest.run("train", "--resume", b.toString(), "--steps", "4"));
        assertEquals(0f, dropoutOf(b), "a resumed run keeps its own dropout");

        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--init-from", a.toString(), "--ch", "32", "--steps", "3",
                "--out", dir.resolve("c").toString()), "only --dropout may be given");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--resume", b.toString(), "--preset", "mnist",
                "--steps", "5"), "only --dropout may be given");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("train", "--resume", b.toString(), "--dropout", "1.5",
                "--steps", "5"), "--dropout 1.5 must be in [0, 1)");
    }

    /** widen: a trained run grows into a wider net that 'train --init-from' trains on; bad multipliers are refused. */
    @Test
    void widenedRunTrainsOn(@TempDir Path dir) {
        Path a = dir.resolve("a");
        assertOk(CliErrorsTest.run("train", "--preset", "tiny", "--subset", "64", "--batch", "8", "--steps", "2",
                "--sample-every", "0", "--threads", "1", "--out", a.toString()));
        Path wide = dir.resolve("wide.bin");
        CliErrorsTest.Outcome o = CliErrorsTest.run("widen", "--run", a.toString(), "--ch-mult", "2,4", "--out",
                wide.toString(), "--check", "16");
        assertOk(o);
        try (NDManager m = TorchRuntime.newManager()) {
            Checkpoint c = Checkpoint.read(wide, m);
            assertEquals("[2,4]", com.google.gson.JsonParser.parseString(c.modelJson()).getAsJsonObject().getAsJsonObject("spec").getAsJsonObject("config")
                    .get("chMult").toString());
            assertEquals(2, c.step());
            assertEquals(a.resolve("checkpoint.bin").toString(), com.google.gson.JsonParser.parseString(c.header()).getAsJsonObject().getAsJsonObject("widened").get("from").getAsString());
        }
        Path b = dir.resolve("b");
        assertOk(CliErrorsTest.run("train", "--init-from", wide.toString(), "--steps", "3", "--out", b.toString()));
        assertEquals(3, stepOf(b));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("widen", "--run", a.toString(), "--ch-mult", "3,5", "--out",
                dir.resolve("x.bin").toString()), "level 1 has 32 channels");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("widen", "--run", a.toString(), "--ch-mult", "1,2,2", "--out",
                dir.resolve("x.bin").toString()), "can only be widened level by level");
    }

    private static long stepOf(Path run) {
        try (NDManager m = TorchRuntime.newManager()) {
            return Checkpoint.read(run.resolve("checkpoint.bin"), m).step();
        }
    }
}
