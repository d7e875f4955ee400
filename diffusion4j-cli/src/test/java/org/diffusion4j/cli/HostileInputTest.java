package org.diffusion4j.cli;

import static org.diffusion4j.cli.CliErrorsTest.assertOneLineError;
import static org.diffusion4j.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.data.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cases of issue 47 that a careless or hostile user found: every one ends in one line and
 * exit 2 before any work, and no file is changed.
 */
class HostileInputTest {
    private static final String BUNDLED = BundledModels.ddpmMnist().toString();

    /** A stand-in run folder: its files are never read, since the clash is found first. */
    private static Path fakeRun(Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("checkpoint.bin"), "state");
        Files.writeString(run.resolve("config.json"), "{}");
        Files.writeString(run.resolve("metrics.jsonl"), "");
        return run;
    }

    @Test
    void anOutputIsNeverAnInput(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.safetensors");
        Files.copy(Path.of(BUNDLED), model);
        byte[] before = Files.readAllBytes(model);
        assertOneLineError(run("sample", "--run", model.toString(), "--n", "1", "--steps", "2", "--out", model.toString()),
                "--out " + model + " is the same path as --run " + model);
        // through a link, and with a dot in the way
        Path link = Files.createSymbolicLink(dir.resolve("link.png"), model);
        assertOneLineError(run("sample", "--run", dir + "/./m.safetensors", "--out", link.toString()), "is the same path as --run");
        assertOneLineError(run("widen", "--run", model.toString(), "--out", model.toString()), "is the same path as --run");
        assertOneLineError(run("model", "convert", model.toString(), model.toString()), "OUT " + model + " is the same path as IN");
        assertArrayEquals(before, Files.readAllBytes(model));
    }

    @Test
    void theFilesARunOwnsAreNeverAnOutput(@TempDir Path dir) throws Exception {
        Path run = fakeRun(dir);
        for (String owned : new String[] {"checkpoint.bin", "config.json", "metrics.jsonl", "checkpoint.1.bin"}) {
            String out = run.resolve(owned).toString();
            assertOneLineError(run("export", "--run", run.toString(), "--out", out), "--out " + out + " is the " + owned
                    + " of the run or model in --run " + run);
            assertOneLineError(run("sample", "--run", BUNDLED, "--out", out), "of the run or model in " + run.toRealPath() + ", which writing it would destroy");
        }
        assertOneLineError(run("export", "--format", "diffusers", "--run", run.toString(), "--out", run.toString()),
                "--out " + run + " is the same path as --run");
        assertOneLineError(run("train", "--init-from", run.toString(), "--out", run.toString()), "--out " + run);
        assertFalse(Files.readString(run.resolve("checkpoint.bin")).isEmpty());

        Path dif = Files.createDirectories(dir.resolve("dif/unet"));
        Files.writeString(dif.resolve("config.json"), "{}");
        Path weights = dif.resolve("diffusion_pytorch_model.safetensors");
        Files.writeString(weights, "weights");
        assertOneLineError(run("import", "--from", dif.getParent().toString(), "--out", weights.toString()), "--out " + weights);
        assertOneLineError(run("import", "--from", dif.getParent().toString(), "--out", dif.resolve("new.bin").toString()),
                "lies inside the folder read as --from");
        assertFalse(Files.exists(dif.resolve("new.bin")));
    }

    @Test
    void twoOutputsOfOneCommandNeverShareAPath(@TempDir Path dir) {
        String x = dir.resolve("x").toString();
        assertOneLineError(run("sample", "--run", BUNDLED, "--out", x, "--npy", x), "--out " + x + " is also --npy " + x);
        String g = dir.resolve("g.png").toString();
        assertOneLineError(run("sample", "--run", BUNDLED, "--gif", g, "--out", g), "--out " + g + " is also --gif " + g);
        assertOneLineError(run("diffuse", "--data", "toy:moons", "--gif", g, "--out", g), "is also --gif");
        assertFalse(Files.exists(Path.of(g)));
    }

    @Test
    void threadCountsAreBoundedTheSameWayEverywhere() {
        int max = 4 * Runtime.getRuntime().availableProcessors();
        for (String[] cmd : new String[][] {{"train", "--data", "toy:moons", "--steps", "3"}, {"sample"}, {"bench"},
                {"serve"}, {"eval", "points"}, {"vae", "sample"}, {"classifier", "train"}}) {
            for (String bad : new String[] {"100000", "-3", String.valueOf(max + 1)}) {
                String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(cmd), java.util.stream.Stream.of("--threads", bad))
                        .toArray(String[]::new);
                assertOneLineError(run(args), "--threads': " + bad + " must be in 0.." + max);
            }
        }
    }

    @Test
    void resumeRefusesTheOptionsItWouldIgnore(@TempDir Path dir) throws Exception {
        Path run = fakeRun(dir);
        for (String[] opt : new String[][] {{"--lr", "0.5"}, {"--batch", "7"}, {"-T", "50"}, {"--seed", "3"},
                {"--schedule", "cosine"}, {"--ema", "0.9"}, {"--clip", "0"}, {"--loss", "l1"}, {"--data", "toy:moons"},
                {"--toy-n", "10"}, {"--subset", "5"}, {"--out", dir.resolve("o").toString()}, {"--warmup", "3"}}) {
            assertOneLineError(run("train", "--resume", run.toString(), opt[0], opt[1]), " cannot be given with --resume");
        }
        assertOneLineError(run("vae", "train", "--resume", run.toString(), "--lr", "0.5"), "--lr cannot be given with --resume");
        assertOneLineError(run("classifier", "train", "--resume", run.toString(), "--lr", "0.5"), "--lr cannot be given with --resume");
        assertOneLineError(run("train", "--init-from", run.toString(), "--out", dir.resolve("new").toString(), "--data", "toy:moons"),
                "--data cannot be given with --init-from");
        assertFalse(Files.exists(dir.resolve("new")));
    }

    @Test
    void pointsOfThreeColumnsAreRefusedAtTheStart(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("p3.npy");
        Npy.write(npy, new float[300], new long[] {100, 3});
        Path out = dir.resolve("r");
        assertOneLineError(run("train", "--data", npy.toString(), "--steps", "5", "--out", out.toString()),
                "p3.npy has 3 values per row; DDPMs of points take 2-D points");
        assertFalse(Files.exists(out));
    }

    @Test
    void classesAreRefusedForPoints(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("r");
        assertOneLineError(run("train", "--data", "toy:moons", "--classes", "2", "--out", out.toString()),
                "--classes is a U-Net option, and 2-D points (toy:moons) get an MLP denoiser, unconditional");
        Path csv = dir.resolve("labelled.csv");
        Files.writeString(csv, "0,0,0\n1,1,1\n0.5,0.2,0\n0.1,0.9,1\n");
        assertOneLineError(run("train", "--data", csv.toString(), "--classes", "2", "--out", out.toString()), "--classes is a U-Net option");
        assertOneLineError(run("train", "--data", "toy:moons", "--label-dropout", "0.2", "--out", out.toString()),
                "--label-dropout applies to class-conditional models");
        assertFalse(Files.exists(out));
    }

    @Test
    void nonFiniteNpyDataIsRefusedWithItsRow(@TempDir Path dir) throws Exception {
        float[] v = new float[200];
        v[2 * 37 + 1] = Float.NaN;
        Path npy = dir.resolve("nan.npy");
        Npy.write(npy, v, new long[] {100, 2});
        Path out = dir.resolve("r");
        assertOneLineError(run("train", "--data", npy.toString(), "--out", out.toString()), "nan.npy: row 37 (counted from 0) holds a non-finite value (NaN)");
        assertFalse(Files.exists(out));
    }

    @Test
    void serveRefusesARunsFolderThatIsNotThere(@TempDir Path dir) {
        assertOneLineError(run("serve", "--runs", dir.resolve("nonexistent").toString()), "--runs " + dir.resolve("nonexistent") + ": no such folder");
    }

    @Test
    void exportFp16RefusesAWeightFloat16CannotHold(@TempDir Path dir) {
        Path big = dir.resolve("big.safetensors");
        try (ai.djl.ndarray.NDManager m = org.diffusion4j.TorchRuntime.newManager()) {
            org.diffusion4j.train.Checkpoint c = org.diffusion4j.train.Checkpoint.read(Path.of(BUNDLED), m);
            c.section("ema").get(0).addi(70000f);
            c.write(big);
        }
        Path out = dir.resolve("half.safetensors");
        assertOneLineError(run("export", "--run", big.toString(), "--out", out.toString(), "--fp16"),
                ", beyond float16's largest value 65504; store the weights as float32");
        assertFalse(Files.exists(out));
    }

    @Test
    void aKindInTheMetadataThatDisagreesWithTheHeaderIsRefused(@TempDir Path dir) {
        org.diffusion4j.io.SafeTensors.Contents c = org.diffusion4j.io.SafeTensors.read(Path.of(BUNDLED));
        java.util.Map<String, String> meta = new java.util.LinkedHashMap<>(c.metadata());
        meta.put("diffusion4j.kind", "vae");
        Path lying = dir.resolve("lying.safetensors");
        org.diffusion4j.io.SafeTensors.write(lying, c.tensors(), meta);
        assertOneLineError(run("sample", "--run", lying.toString(), "--n", "1", "--steps", "1", "--out", dir.resolve("s.png").toString()),
                "is damaged: its metadata 'diffusion4j.kind' says 'vae' but its checksummed header says 'ddpm'");
    }

    @Test
    void aMissingNewestCheckpointFallsBackSayingSo(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.copy(Path.of(BUNDLED), run.resolve("checkpoint.1.bin"));
        try (ai.djl.ndarray.NDManager m = org.diffusion4j.TorchRuntime.newManager()) {
            org.diffusion4j.train.CheckpointGenerations.Intact i = org.diffusion4j.train.CheckpointGenerations
                    .readNewestIntact(run.resolve("checkpoint.bin"), "ddpm", m);
            assertEquals(run.resolve("checkpoint.bin") + " is missing; falling back to " + run.resolve("checkpoint.1.bin")
                    + " (step " + i.checkpoint().step() + ")", i.note());
        }
    }

    @Test
    void aStrayLabelIsNamedNotTurnedIntoAClassCount(@TempDir Path dir) throws Exception {
        int n = 4;
        java.nio.ByteBuffer img = java.nio.ByteBuffer.allocate(16 + n * 28 * 28).putInt(0x803).putInt(n).putInt(28).putInt(28);
        Path images = dir.resolve("x-images-idx3-ubyte");
        Files.write(images, img.array());
        Path labels = dir.resolve("x-labels-idx1-ubyte");
        Files.write(labels, java.nio.ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n).put(new byte[] {0, 1, 2, (byte) 200}).array());
        Path out = dir.resolve("r");
        assertOneLineError(run("train", "--data", images.toString(), "--labels", labels.toString(), "--classes", "10", "--batch", "2",
                "--out", out.toString()), "has a label 200, beyond the model's classes 0..9; fix the labels, or give --classes 201 if");
        assertFalse(Files.exists(out));
    }

    @Test
    void evalSamplesChecksLabelsBeforeItsLongWork(@TempDir Path dir) {
        Path npy = dir.resolve("s.npy");
        Npy.write(npy, new float[3 * 28 * 28], new long[] {3, 28, 28});
        Path labels = dir.resolve("l.npy");
        Npy.write(labels, new float[] {1, 2}, new long[] {2});
        // a reference that does not exist: before the fix it was opened (and refused) before the labels were read
        assertOneLineError(run("eval", "samples", "--npy", npy.toString(), "--labels", labels.toString(), "--reference",
                dir.resolve("none").toString()), "does not give one label to each of the 3 samples");
    }

    @Test
    void ctrlCDuringSampleSaysWhichBatchesAreKept(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("s.npy");
        Path log = dir.resolve("log.txt");
        String jvm = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(jvm, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "sample",
                "--run", Path.of(BUNDLED).toAbsolutePath().toString(), "--n", "100000", "--batch", "1", "--steps", "1", "--sampler", "ddim", "--threads", "1", "--npy", npy.toString(),
                "--out", dir.resolve("s.png").toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path parts = dir.resolve("s.npy.parts");
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(parts.resolve("batch-00001.npy.sha256")) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            p.destroy(); // SIGTERM, as Ctrl-C's SIGINT
            org.junit.jupiter.api.Assertions.assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertEquals(Main.EXIT_INTERRUPTED, p.exitValue(), out);
        org.junit.jupiter.api.Assertions.assertTrue(java.util.regex.Pattern.compile("stopping: \\d+ of 3125 batches are kept in "
                + java.util.regex.Pattern.quote(parts.toString()) + "; the same command continues from them").matcher(out).find(), out);
    }
}
