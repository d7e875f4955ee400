package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled DDPM in safetensors is the model that shipped in the old format: the old file (from
 * git history, commit eed078a) and the new one hold the same header and weights (the new one
 * also records its recommended sampler, since commit bae2979's successor), 'model convert' turns
 * the old into the safetensors file as it was before that record byte for byte, and both sample
 * the same digits.
 */
class BundledModelFormatTest {
    private static final String OLD_COMMIT = "eed078a";
    /** The last commit whose bundled safetensors file had no recommended sampler. */
    private static final String BEFORE_SAMPLING = "bae2979";

    @Test
    void theBundledDdpmSamplesTheSameFromTheOldAndTheNewFile(@TempDir Path tmp) throws Exception {
        Path now = BundledModels.directory().resolve(BundledModels.DDPM_MNIST);
        assumeTrue(Files.isRegularFile(now), "bundled DDPM present");
        Path old = tmp.resolve("ddpm-mnist.bin");
        assumeTrue(fromGit(BundledModels.directory().getParent(), OLD_COMMIT + ":models/ddpm-mnist.bin", old),
                "skipped: git or commit " + OLD_COMMIT + " (the old bundled file) is not available, e.g. in a shallow clone");

        TorchRuntime.init();
        try (NDManager m = TorchRuntime.newManager()) {
            Checkpoint a = Checkpoint.read(old, m);
            Checkpoint b = Checkpoint.read(now, m);
            com.google.gson.JsonObject recorded = JsonParser.parseString(b.header()).getAsJsonObject();
            com.google.gson.JsonElement sampling = recorded.getAsJsonObject("model").remove("sampling");
            assertEquals(JsonParser.parseString(a.header()), recorded, "the same header but for the recommended sampler");
            assertEquals(JsonParser.parseString("{\"sampler\":{\"kind\":\"dpm++2m-sde\",\"steps\":16,\"spacing\":\"trailing\","
                    + "\"eta\":1.1,\"variance\":\"beta-tilde\",\"clip\":true},\"guidance\":1.0}"), sampling);
            NamedArrays x = a.section("ema");
            NamedArrays y = b.section("ema");
            assertEquals(x.size(), y.size());
            for (int i = 0; i < x.size(); i++) {
                assertEquals(x.name(i), y.name(i));
                assertEquals(x.get(i).getShape(), y.get(i).getShape());
                assertArrayEquals(x.get(i).toFloatArray(), y.get(i).toFloatArray(), x.name(i));
            }
        }

        Path converted = tmp.resolve("converted.safetensors");
        assertEquals(0, Main.execute("model", "convert", old.toString(), converted.toString()));
        Path before = tmp.resolve("before.safetensors");
        assumeTrue(fromGit(BundledModels.directory().getParent(), BEFORE_SAMPLING + ":models/ddpm-mnist.safetensors", before),
                "skipped: commit " + BEFORE_SAMPLING + " is not available");
        assertArrayEquals(Files.readAllBytes(before), Files.readAllBytes(converted), "the committed file was what convert writes");

        Path fromOld = tmp.resolve("old.npy");
        Path fromNew = tmp.resolve("new.npy");
        for (Path[] p : new Path[][] {{old, fromOld}, {now, fromNew}}) {
            // The sampler named: the default differs between a file in models/ and one elsewhere.
            assertEquals(0, Main.execute("sample", "--run", p[0].toString(), "--sampler", "ddim", "--eta", "1", "--n", "2", "--steps", "3", "--threads", "1",
                    "--out", tmp.resolve(p[1].getFileName() + ".png").toString(), "--npy", p[1].toString()));
        }
        assertArrayEquals(Files.readAllBytes(fromOld), Files.readAllBytes(fromNew), "identical samples");
    }

    /** Writes the git object {@code spec} of the repository at {@code repo} to {@code out}; false if git cannot. */
    private static boolean fromGit(Path repo, String spec, Path out) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("git", "-C", repo.toString(), "show", spec).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor() == 0 && Files.size(out) > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
