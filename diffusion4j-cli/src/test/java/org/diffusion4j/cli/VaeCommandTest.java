package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeCommandTest {
    /** The tests run single-threaded (the machine is shared); other test classes get the thread count back. */
    private static int threadsBefore;

    @org.junit.jupiter.api.BeforeAll
    static void rememberThreads() {
        threadsBefore = org.diffusion4j.TorchRuntime.threads();
    }

    @org.junit.jupiter.api.AfterAll
    static void restoreThreads() {
        org.diffusion4j.TorchRuntime.setThreads(threadsBefore);
    }

    private static String[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true));
        System.setErr(new PrintStream(e, true));
        int code;
        try {
            code = Main.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {String.valueOf(code), o.toString(), e.toString()};
    }

    @Test
    void classPriorRunTrainsSamplesAndRejectsUnknownClasses(@TempDir Path tmp) {
        Path dir = tmp.resolve("run");
        String[] r = run("vae", "train", "--subset", "300", "--steps", "20", "--batch", "32", "--hidden", "32",
                "--latent", "2", "--conditional", "class-prior", "--threads", "1", "--out", dir.toString());
        assertEquals("0", r[0], r[2]);
        for (String f : new String[] {"checkpoint.bin", "config.json", "metrics.jsonl", "loss.png",
            "reconstructions.png", "latents.png", "samples/step-0000020.png"}) {
            assertTrue(Files.exists(dir.resolve(f)), f);
        }
        r = run("vae", "sample", dir.toString(), "--class", "12");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertEquals("diffusion4j: --class 12 is outside the labels 0..9 of this model", r[2].strip());
        r = run("vae", "sample", dir.toString(), "--class", "7", "--n", "8");
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(dir.resolve("samples-7.png")));
        r = run("vae", "sample", dir.toString(), "--per-class", "4");
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(dir.resolve("samples-per-class.png")));
        r = run("vae", "sample", dir.toString(), "--manifold", "--out", tmp.resolve("m.png").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(tmp.resolve("m.png")));
        if (EvalSamplesCommandTest.bundled()) {
            r = run("vae", "classes", dir.toString(), "--n", "30");
            assertEquals("0", r[0], r[2]);
            // 10 per-class lines, each with a percentage, and the total over 300 samples.
            assertEquals(10, r[1].lines().filter(l -> l.matches("  class \\d: +\\d+\\.\\d% classified as \\d.*")).count(), r[1]);
            assertTrue(r[1].contains("all classes: "), r[1]);
        }
        // An exported weights-only file is a model like the run: it knows its data and writes no picture beside itself.
        Path file = tmp.resolve("models").resolve("cp.bin");
        r = run("export", "--run", dir.toString(), "--out", file.toString());
        assertEquals("0", r[0], r[2]);
        r = run("vae", "eval", file.toString(), "--k", "10", "--subset", "20");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("mnist:test"), r[1]);
        r = run("vae", "sample", file.toString(), "--class", "3", "--n", "4", "--out", tmp.resolve("three.png").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(tmp.resolve("three.png")));
        assertEquals(1, file.getParent().toFile().list().length);
        r = run("vae", "classes", dir.toString(), "--n", "0");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        r = run("vae", "eval", dir.toString(), "--k", "20", "--subset", "40");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("IW bound (k=20)"), r[1]);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "25");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("done at step 25 of 25"), r[1]);
    }

    /** The autoregressive (PixelCNN) decoder through the commands: train, sample, reconstruct, eval; and its refusals. */
    @Test
    void pixelDecoderRunTrainsSamplesReconstructsAndEvaluates(@TempDir Path tmp) {
        Path dir = tmp.resolve("pixel");
        String[] r = run("vae", "train", "--preset", "conv-pixel", "--subset", "100", "--steps", "4", "--batch", "20",
                "--conv-channels", "4", "--hidden", "8", "--latent", "2", "--pixel-channels", "4", "--threads", "1",
                "--sample-every", "0", "--out", dir.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("pixel decoder 3x4"), r[2]);
        r = run("vae", "sample", dir.toString(), "--n", "4", "--out", tmp.resolve("s.png").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(tmp.resolve("s.png")));
        r = run("vae", "sample", dir.toString(), "--n", "4", "--binary", "--out", tmp.resolve("b.png").toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(tmp.resolve("b.png")));
        r = run("vae", "sample", dir.toString(), "--manifold", "--binary", "--out", tmp.resolve("m.png").toString());
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertTrue(r[2].contains("--binary draws samples"), r[2]);
        r = run("vae", "reconstruct", dir.toString(), "--n", "4", "--scatter", "0", "--out", tmp.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(tmp.resolve("reconstructions.png")));
        r = run("vae", "eval", dir.toString(), "--k", "5", "--subset", "10");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("IW bound (k=5)"), r[1]);
        r = run("vae", "train", "--arch", "mlp", "--pixel-layers", "2", "--subset", "100", "--steps", "1",
                "--out", tmp.resolve("no").toString());
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertEquals("diffusion4j: --pixel-layers 2 (an autoregressive decoder) is for one-channel binary images: it needs"
                + " the conv architecture and the Bernoulli likelihood", r[2].strip());
    }

    /** A decay may be added on resume while it has not begun; once it has, the run's end is fixed. */
    @Test
    void learningRateDecayOnResume(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        String[] r = run("vae", "train", "--subset", "200", "--steps", "10", "--batch", "32", "--hidden", "16",
                "--latent", "2", "--warmup", "0", "--lr", "0.001", "--threads", "1", "--out", dir.toString());
        assertEquals("0", r[0], r[2]);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "20", "--decay-from", "5");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertEquals("diffusion4j: --decay-from 5 lies before the run's current step 10; give a step at or after it", r[2].strip());
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "12", "--decay-from", "-1"); // -1: none, always allowed
        assertEquals("0", r[0], r[2]);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "20", "--decay-from", "15");
        assertEquals("0", r[0], r[2]);
        java.util.List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(20, lines.size());
        // 0-based step 19 (logged as step 20) is the last of 5 decay steps: lr / 5.
        com.google.gson.JsonObject last = com.google.gson.JsonParser.parseString(lines.get(19)).getAsJsonObject();
        assertEquals(20, last.get("step").getAsLong());
        assertEquals(0.001 / 5, last.get("lr").getAsDouble(), 1e-12);
        assertEquals(0.001, com.google.gson.JsonParser.parseString(lines.get(15)).getAsJsonObject().get("lr").getAsDouble(), 1e-12);
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "30");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertTrue(r[2].contains("has been decaying its learning rate since step 15"), r[2]);
        assertTrue(r[2].contains("start a new run from it: --init-from " + dir + " --out NEW_DIR --steps N --decay-from 20"), r[2]);
    }

    /**
     * --init-from starts a new run from another's full state: with the source's own schedule it
     * is the source's continuation, loss for loss; a run whose decay has begun can be trained on
     * in a new folder; an exported model, a missing --out or --resume beside it are refused.
     */
    @Test
    void aNewRunCarriesOnFromAnothersState(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        String[] r = run("vae", "train", "--subset", "200", "--steps", "10", "--batch", "32", "--hidden", "16",
                "--latent", "2", "--warmup", "0", "--lr", "0.001", "--threads", "1", "--sample-every", "0",
                "--log-every", "7", "--checkpoint-every", "9", "--out", a.toString());
        assertEquals("0", r[0], r[2]);
        byte[] source = Files.readAllBytes(a.resolve("checkpoint.bin"));
        Path b = tmp.resolve("b"); // a copy of the source, resumed in place: the reference continuation
        Files.createDirectories(b);
        for (String f : new String[] {"checkpoint.bin", "config.json", "metrics.jsonl"}) {
            Files.copy(a.resolve(f), b.resolve(f));
        }
        assertEquals("0", run("vae", "train", "--resume", b.toString(), "--steps", "14")[0]);
        Path c = tmp.resolve("c");
        r = run("vae", "train", "--init-from", a.toString(), "--steps", "14", "--out", c.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("starting " + c + " from " + a.resolve("checkpoint.bin") + " at step 10 of 14"), r[2]);
        assertTrue(java.util.Arrays.equals(source, Files.readAllBytes(a.resolve("checkpoint.bin"))), "source untouched");
        List<String> ref = Files.readAllLines(b.resolve("metrics.jsonl")).subList(10, 14);
        List<String> got = Files.readAllLines(c.resolve("metrics.jsonl"));
        assertEquals(4, got.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(11 + i, field(got.get(i), "step"), 0);
            assertEquals(field(ref.get(i), "loss"), field(got.get(i), "loss"), 0.0, "step " + (11 + i));
        }
        JsonObject cfg = JsonParser.parseString(Files.readString(c.resolve("config.json"))).getAsJsonObject();
        assertEquals(10, cfg.getAsJsonObject("initFrom").get("step").getAsLong());
        JsonObject train = cfg.getAsJsonObject("train");
        assertEquals(32, train.get("batchSize").getAsInt()); // kept from the source, like every option not given
        assertEquals(7, train.get("logEvery").getAsInt());
        assertEquals(9, train.get("checkpointEvery").getAsInt());
        assertEquals(14, train.get("steps").getAsLong()); // given: replaced

        // c decays from 14: its target can no longer move, but a new run from it can train on.
        r = run("vae", "train", "--resume", c.toString(), "--steps", "16", "--decay-from", "14");
        assertEquals("0", r[0], r[2]);
        r = run("vae", "train", "--resume", c.toString(), "--steps", "20");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        Path d = tmp.resolve("d");
        r = run("vae", "train", "--init-from", c.toString(), "--steps", "20", "--out", d.toString());
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertEquals("diffusion4j: " + c + " has been decaying its learning rate since step 14; give the new run's "
                + "--decay-from (a step at or after 16, or -1 for none)", r[2].strip());
        r = run("vae", "train", "--init-from", c.toString(), "--steps", "20", "--decay-from", "14", "--out", d.toString());
        assertEquals("diffusion4j: --decay-from 14 lies before step 16, where the new run starts; give a step at or after it", r[2].strip());
        r = run("vae", "train", "--init-from", c.toString(), "--steps", "20", "--decay-from", "-1");
        assertEquals("diffusion4j: --init-from needs --out: the folder of the new run", r[2].strip());
        // --warmup warms the new run up over its own first steps (here 16-19), from lr / 4 to lr.
        Path f = tmp.resolve("f");
        r = run("vae", "train", "--init-from", c.toString(), "--steps", "21", "--decay-from", "-1", "--warmup", "4",
                "--out", f.toString());
        assertEquals("0", r[0], r[2]);
        List<String> warm = Files.readAllLines(f.resolve("metrics.jsonl"));
        double[] want = {0.25e-3, 0.5e-3, 0.75e-3, 1e-3, 1e-3};
        for (int i = 0; i < want.length; i++) {
            assertEquals(17 + i, field(warm.get(i), "step"), 0);
            assertEquals(want[i], field(warm.get(i), "lr"), 1e-12, "step " + (17 + i));
        }
        r = run("vae", "train", "--init-from", c.toString(), "--resume", c.toString(), "--steps", "20");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        Path exported = tmp.resolve("w.bin");
        assertEquals("0", run("export", "--run", c.toString(), "--out", exported.toString())[0]);
        // --fp16: the same weights at half the size, rounded to half precision and read back as float32.
        Path half = tmp.resolve("w16.bin");
        r = run("export", "--run", c.toString(), "--out", half.toString(), "--fp16");
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.size(half) < 0.55 * Files.size(exported), Files.size(half) + " vs " + Files.size(exported));
        try (NDManager m = NDManager.newBaseManager()) {
            NamedArrays w32 = Checkpoint.read(exported, m).section("ema");
            NamedArrays w16 = Checkpoint.read(half, m).section("ema");
            for (int i = 0; i < w32.size(); i++) {
                assertTrue(w32.get(i).allClose(w16.get(i), 0x1p-11, 0x1p-25, false), w32.name(i));
            }
        }
        r = run("vae", "eval", half.toString(), "--k", "2", "--subset", "8");
        assertEquals("0", r[0], r[2]);
        // From an exported model: its EMA weights start weights and EMA, Adam starts afresh.
        Path e = tmp.resolve("e");
        r = run("vae", "train", "--init-from", exported.toString(), "--steps", "17", "--decay-from", "-1",
                "--lr", "1e-30", "--out", e.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("weights only"), r[2]);
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint src = Checkpoint.read(exported, m);
            Checkpoint got1 = Checkpoint.read(e.resolve("checkpoint.bin"), m);
            assertEquals(17, got1.step());
            assertEquals(1, com.google.gson.JsonParser.parseString(got1.header()).getAsJsonObject().get("adamUpdates").getAsLong()); // one update of a fresh Adam
            NamedArrays w = src.section("ema");
            NamedArrays trained = got1.section("model");
            assertEquals(w.size(), trained.size());
            for (int i = 0; i < w.size(); i++) { // a rate of 1e-30 leaves the weights where they started
                assertTrue(w.get(i).allClose(trained.get(i), 0, 1e-6, false), w.name(i));
                assertTrue(w.get(i).allClose(got1.section("ema").get(i), 0, 1e-6, false), w.name(i));
            }
        }
        assertTrue(JsonParser.parseString(Files.readString(e.resolve("config.json"))).getAsJsonObject()
                .getAsJsonObject("initFrom").get("weightsOnly").getAsBoolean());
        r = run("vae", "train", "--init-from", c.toString(), "--steps", "20", "--decay-from", "18", "--out", d.toString());
        assertEquals("0", r[0], r[2]);
        got = Files.readAllLines(d.resolve("metrics.jsonl"));
        assertEquals(17, field(got.get(0), "step"), 0);
        assertEquals(0.001, field(got.get(0), "lr"), 1e-12); // the constant rate again
        assertEquals(0.001 / 2, field(got.get(3), "lr"), 1e-12); // 0-based step 19: last of 2 decay steps
        JsonObject origin = JsonParser.parseString(Files.readString(d.resolve("config.json"))).getAsJsonObject().getAsJsonObject("initFrom");
        assertEquals(16, origin.get("step").getAsLong());
        assertEquals(10, origin.getAsJsonObject("initFrom").get("step").getAsLong()); // the chain is kept
    }

    private static double field(String jsonLine, String name) {
        return JsonParser.parseString(jsonLine).getAsJsonObject().get(name).getAsDouble();
    }

    /** While a trainer holds a run folder, a second one is refused in one line and the checkpoint is untouched. */
    @Test
    void aRunBeingTrainedCannotBeResumedTwice(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        String[] r = run("vae", "train", "--subset", "200", "--steps", "4", "--batch", "32", "--hidden", "16",
                "--latent", "2", "--threads", "1", "--out", dir.toString());
        assertEquals("0", r[0], r[2]);
        byte[] before = Files.readAllBytes(dir.resolve("checkpoint.bin"));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(".lock"),
                java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock held = ch.lock()) {
            r = run("vae", "train", "--resume", dir.toString(), "--steps", "8");
            assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
            assertEquals("diffusion4j: " + dir + " is being trained by another process; stop that one first "
                    + "(Ctrl-C or SIGTERM saves its checkpoint), then resume", r[2].strip().lines().reduce((a, b) -> b).orElse(""));
            assertTrue(!r[2].contains("Exception"), r[2]);
            assertTrue(!r[2].contains("resuming"), r[2]); // nothing claims to resume before the lock is held
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(dir.resolve("checkpoint.bin"))));
        }
        r = run("vae", "train", "--resume", dir.toString(), "--steps", "8");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("done at step 8 of 8"), r[1]);
    }

    @Test
    void withoutARunTheBundledModelIsUsed(@TempDir Path tmp) {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isRegularFile(BundledModels.directory().resolve(BundledModels.VAE_IWAE)), "bundled VAE present");
        Path out = tmp.resolve("s.png");
        String[] r = run("vae", "sample", "--n", "4", "--threads", "1", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(out));
        r = run("vae", "eval", "--k", "5", "--subset", "10", "--threads", "1");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("vae-iwae.safetensors on mnist:test"), r[1]);
    }

    /** The shipped PixelCNN-decoder VAE loads, draws, and scores its reported range on the first test digits. */
    @Test
    void theBundledPixelDecoderVaeSamplesAndScoresBelow84(@TempDir Path tmp) {
        Path model = BundledModels.directory().resolve(BundledModels.VAE_CONV_PIXEL);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(model), "bundled conv-pixel VAE present");
        Path out = tmp.resolve("s.png");
        String[] r = run("vae", "sample", model.toString(), "--n", "2", "--threads", "1", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(Files.exists(out));
        r = run("vae", "eval", model.toString(), "--k", "10", "--subset", "100", "--threads", "1");
        assertEquals("0", r[0], r[2]);
        java.util.regex.Matcher nll = java.util.regex.Pattern.compile("NLL ([0-9.]+) nats").matcher(r[1]);
        assertTrue(nll.find(), r[1]);
        // README: 77.63 by k = 100 on the first 300; the first 100 at k = 10 land near it, far below 84.
        double v = Double.parseDouble(nll.group(1));
        assertTrue(v > 60 && v < 84, "NLL " + v);
    }

    /** --offset: a part of the test set keeps each row's binarisation from the whole set; out-of-range parts are refused. */
    @Test
    void anOffsetPartIsTheSliceOfTheWholeBinarisedSet() {
        org.diffusion4j.vae.VaeSpec spec = org.diffusion4j.vae.VaeSpec.builder(1, 28, 28).hidden(8).latent(2).build();
        org.diffusion4j.data.DataSet whole = VaeCommand.testRows(spec, null, "mnist:test", 0, 0, 3);
        org.diffusion4j.data.DataSet part = VaeCommand.testRows(spec, null, "mnist:test", 7000, 5, 3);
        assertEquals(10000, whole.size());
        assertEquals(5, part.size());
        float[] expected = java.util.Arrays.copyOfRange(whole.data(), 7000 * 784, 7005 * 784);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, part.data());
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(whole.labels(), 7000, 7005), part.labels());
        assertTrue(org.diffusion4j.data.Binarize.isBinary(part));
        // The first rows are as before the option existed: a prefix of the one binarisation of the whole set.
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(whole.data(), 0, 20 * 784),
                VaeCommand.testRows(spec, null, "mnist:test", 0, 20, 3).data());
        // The tail from an offset with no --subset, and the refusals.
        assertEquals(1000, VaeCommand.testRows(spec, null, "mnist:test", 9000, 0, 3).size());
        assertEquals(3, VaeCommand.testRows(spec, null, "mnist:test", 9997, 50, 3).size());
        org.diffusion4j.UserException e = org.junit.jupiter.api.Assertions.assertThrows(org.diffusion4j.UserException.class,
                () -> VaeCommand.testRows(spec, null, "mnist:test", 10000, 0, 3));
        assertTrue(e.getMessage().contains("leaves no rows"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(org.diffusion4j.UserException.class,
                () -> VaeCommand.testRows(spec, null, "mnist:test", -1, 0, 3));
    }

    @Test
    void evalOfAPartSaysWhichRows() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isRegularFile(BundledModels.directory().resolve(BundledModels.VAE_IWAE)), "bundled VAE present");
        String[] r = run("vae", "eval", "--k", "3", "--offset", "9990", "--threads", "1");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("(rows 9990..9999, 10 rows)"), r[1]);
        r = run("vae", "eval", "--k", "3", "--offset", "20000", "--threads", "1");
        assertEquals(String.valueOf(Main.EXIT_USER_ERROR), r[0]);
        assertTrue(r[2].contains("--offset 20000 leaves no rows"), r[2]);
    }
}
