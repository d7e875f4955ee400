package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    /** Regression of y = 3 x1 - 2 x2 + noise by a small MLP with dropout: uses the RNG of a step. */
    static class RegressionTask implements TrainingTask {
        final Block block;
        final ParameterStore ps = new ParameterStore();
        final float scale;

        RegressionTask(NDManager m, float lossScale) {
            this.scale = lossScale;
            block = new SequentialBlock()
                    .add(Linear.builder().setUnits(16).build())
                    .add(ai.djl.nn.Activation::tanh)
                    .add(ai.djl.nn.norm.Dropout.builder().optRate(0.1f).build())
                    .add(Linear.builder().setUnits(1).build());
            Runtime.seed(7);
            block.initialize(m, DataType.FLOAT32, new Shape(1, 2));
        }

        @Override public String kind() { return "regression"; }
        @Override public Block model() { return block; }
        @Override public String describe() { return "{}"; }

        /** Zero in value with a NaN gradient: sqrt(u) at u = 0 has derivative inf, times du = 0. */
        NDArray nanGradient(Batch batch) {
            NDArray pred = block.forward(ps, new NDList(batch.x()), true).singletonOrThrow();
            return pred.sub(pred.stopGradient()).square().sqrt().mean();
        }

        @Override
        public NDArray loss(Batch batch) {
            NDArray x = batch.x();
            NDArray y = x.get(":, 0").mul(3).sub(x.get(":, 1").mul(2)).reshape(-1, 1)
                    .add(x.getManager().randomNormal(new Shape(x.getShape().get(0), 1)).mul(0.1));
            NDArray pred = block.forward(ps, new NDList(x), true).singletonOrThrow();
            return pred.sub(y).square().mean().mul(scale);
        }
    }

    static final BatchSource DATA = (step, m) ->
            new Batch(m.randomNormal(new Shape(32, 2)), null); // random per step: seeded from (seed, step)

    private static TrainConfig config(long steps) {
        return TrainConfig.builder().steps(steps).batchSize(32).lr(1e-2).warmupSteps(5)
                .emaDecay(0.99).seed(3).checkpointEvery(1000).sampleEvery(0).logEvery(1000).build();
    }

    private static List<Float> train(Path dir, long steps, boolean resume) {
        try (NDManager m = Runtime.newManager()) {
            RegressionTask task = new RegressionTask(m, 1f);
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, DATA, config(steps), m))) {
                if (resume) {
                    t.restore(Checkpoint.read(dir.resolve(Trainer.CHECKPOINT), m));
                }
                return t.run().losses();
            }
        }
    }

    @Test
    void resumeEqualsUninterrupted(@TempDir Path a, @TempDir Path b) throws Exception {
        List<Float> whole = train(a, 60, false);
        List<Float> first = train(b, 25, false);
        List<Float> rest = train(b, 60, true);
        assertEquals(25, first.size());
        assertEquals(35, rest.size());
        for (int i = 0; i < 60; i++) {
            float x = i < 25 ? first.get(i) : rest.get(i - 25);
            assertEquals(whole.get(i), x, 1e-6 * Math.max(1, Math.abs(whole.get(i))), "step " + (i + 1));
        }
        // The metrics log of the resumed run has every step once.
        assertEquals(60, Files.readAllLines(b.resolve(Trainer.METRICS)).size());
        assertTrue(whole.get(59) < whole.get(0) / 2, "loss falls: " + whole.get(0) + " -> " + whole.get(59));
    }

    @Test
    void memoryIsLoggedEveryLogEverySteps(@TempDir Path dir) throws Exception {
        TrainConfig c = config(20).toBuilder().logEvery(10).build();
        try (NDManager m = Runtime.newManager(); RunFolder folder = RunFolder.open(dir);
                Trainer t = folder.attach(new Trainer(new RegressionTask(m, 1f), DATA, c, m))) {
            t.run();
        }
        List<String> lines = Files.readAllLines(dir.resolve(Trainer.METRICS));
        assertEquals(20, lines.size());
        for (int i = 0; i < 20; i++) {
            JsonObject rec = com.google.gson.JsonParser.parseString(lines.get(i)).getAsJsonObject();
            boolean logged = (i + 1) % 10 == 0;
            assertEquals(logged, rec.has("rssMb"), "step " + (i + 1));
            assertEquals(logged, rec.has("heapMb"), "step " + (i + 1));
            if (logged) {
                long heap = rec.get("heapMb").getAsLong();
                long committed = rec.get("heapCommittedMb").getAsLong();
                assertTrue(heap > 0 && heap <= committed, heap + " MB used of " + committed);
                // RSS includes the committed heap only as far as it was touched; it is at least the used part.
                assertTrue(rec.get("rssMb").getAsLong() >= heap, rec.toString());
            }
        }
    }

    @Test
    void trainingStepsLeaveNoArraysBehind(@TempDir Path dir) {
        try (NDManager m = Runtime.newManager()) {
            RegressionTask task = new RegressionTask(m, 1f);
            int[] counts = new int[2];
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, DATA, config(40), m))) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Trainer tr, StepRecord r) {
                        if (r.step() == 5) {
                            counts[0] = m.getManagedArrays().size();
                        } else if (r.step() == 40) {
                            counts[1] = m.getManagedArrays().size();
                        }
                    }
                });
                t.run();
            }
            assertTrue(counts[0] > 0);
            assertEquals(counts[0], counts[1], "native arrays after step 5 and after step 40");
        }
    }

    @Test
    void nanLossStopsAndKeepsLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        train(dir, 10, false);
        byte[] good = Files.readAllBytes(dir.resolve(Trainer.CHECKPOINT));
        try (NDManager m = Runtime.newManager()) {
            RegressionTask task = new RegressionTask(m, Float.NaN);
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, DATA, config(20), m))) {
                t.restore(Checkpoint.read(dir.resolve(Trainer.CHECKPOINT), m));
                UserException e = assertThrows(UserException.class, t::run);
                assertTrue(e.getMessage().contains("NaN at step 11"), e.getMessage());
                assertTrue(!e.getMessage().contains("\n"));
            }
        }
        assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(dir.resolve(Trainer.CHECKPOINT))));
    }

    @Test
    void aNonFiniteGradientWithAFiniteLossSkipsThatUpdateOnly(@TempDir Path dir) {
        try (NDManager m = Runtime.newManager()) {
            long[] stepOfLoss = {0};
            RegressionTask task = new RegressionTask(m, 1f) {
                @Override
                public NDArray loss(Batch batch) {
                    NDArray base = super.loss(batch);
                    if (++stepOfLoss[0] != 4) {
                        return base;
                    }
                    return base.add(nanGradient(batch));
                }
            };
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, DATA, config(8), m))) {
                List<Float> losses = t.run().losses();
                assertEquals(8, losses.size());
                assertEquals(1, t.skippedSteps());
                assertTrue(losses.stream().allMatch(Float::isFinite));
                assertTrue(t.parameters().arrays().stream().allMatch(a -> Float.isFinite(a.sum().getFloat())));
            }
        }
    }

    @Test
    void tenNonFiniteGradientsInARowStopWithAWayOut(@TempDir Path dir) throws Exception {
        train(dir, 2, false);
        byte[] good = Files.readAllBytes(dir.resolve(Trainer.CHECKPOINT));
        try (NDManager m = Runtime.newManager()) {
            RegressionTask task = new RegressionTask(m, 1f) {
                @Override
                public NDArray loss(Batch batch) {
                    return super.loss(batch).add(nanGradient(batch));
                }
            };
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, DATA, config(30), m))) {
                t.restore(Checkpoint.read(dir.resolve(Trainer.CHECKPOINT), m));
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::run);
                assertTrue(e.getMessage().contains("10 steps in a row (last at step 12"), e.getMessage());
                // Resuming replays the same random numbers; the way out is a new run with other settings.
                assertTrue(e.replays(), e.getMessage());
                assertEquals(12, e.step());
                assertTrue(!e.getMessage().contains("\n"));
                assertEquals(10, t.skippedSteps());
            }
        }
        assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(dir.resolve(Trainer.CHECKPOINT))));
    }

    @Test
    void checkpointFromAnotherModelIsRejected(@TempDir Path dir) {
        train(dir, 3, false);
        try (NDManager m = Runtime.newManager()) {
            TrainingTask other = new RegressionTask(m, 1f) {
                final Block wide = new SequentialBlock().add(Linear.builder().setUnits(5).build());
                { wide.initialize(m, DataType.FLOAT32, new Shape(1, 2)); }
                @Override public Block model() { return wide; }
            };
            try (Trainer t = new Trainer(other, DATA, config(5), m)) {
                UserException e = assertThrows(UserException.class,
                        () -> t.restore(Checkpoint.read(dir.resolve(Trainer.CHECKPOINT), m)));
                assertTrue(e.getMessage().contains("another model"), e.getMessage());
            }
        }
    }

    @Test
    void truncatedOrForeignCheckpointGivesOneLine(@TempDir Path dir) throws Exception {
        train(dir, 3, false);
        Path ck = dir.resolve(Trainer.CHECKPOINT);
        byte[] all = Files.readAllBytes(ck);
        Files.write(ck, java.util.Arrays.copyOf(all, all.length / 2));
        try (NDManager m = Runtime.newManager()) {
            UserException e = assertThrows(UserException.class, () -> Checkpoint.read(ck, m));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            Files.writeString(ck, "hello, this is not a checkpoint at all");
            e = assertThrows(UserException.class, () -> Checkpoint.read(ck, m));
            assertTrue(e.getMessage().contains("not a diffusion4j checkpoint"), e.getMessage());
        }
    }

    @Test
    void adamMatchesHandComputation() {
        // One parameter, constant gradient g: after k steps m = g (1 - b1^k), v = g^2 (1 - b2^k),
        // so every step moves p by lr * g / (|g| + eps) = lr * sign(g) (up to eps).
        try (NDManager m = Runtime.newManager()) {
            NDArray p = m.create(new float[] {1f, -2f});
            NDArray g = m.create(new float[] {0.5f, -4f});
            NamedArrays params = new NamedArrays(List.of("p"), List.of(p));
            NamedArrays grads = new NamedArrays(List.of("p"), List.of(g));
            try (Adam adam = new Adam(params, m)) {
                for (int k = 0; k < 3; k++) {
                    adam.step(params, grads, 0.1, 1.0);
                }
                assertEquals(1f - 0.3f, p.getFloat(0), 1e-5);
                assertEquals(-2f + 0.3f, p.getFloat(1), 1e-5);
                assertEquals(0.5 * (1 - Math.pow(0.9, 3)), adam.firstMoments().get(0).getFloat(0), 1e-6);
                // Clipping scale enters as a scaled gradient.
                adam.step(params, grads, 0.1, 0.5);
                assertEquals(0.25 * (1 - 0.9) + 0.9 * 0.5 * (1 - Math.pow(0.9, 3)),
                        adam.firstMoments().get(0).getFloat(0), 1e-6);
            }
        }
    }

    @Test
    void globalNormAndEmaWarmup() {
        try (NDManager m = Runtime.newManager()) {
            NamedArrays g = new NamedArrays(List.of("a", "b"),
                    List.of(m.create(new float[] {3f}), m.create(new float[] {0f, 4f})));
            assertEquals(5.0, GradientClipping.globalNorm(g), 1e-6);
            assertEquals(1.0, GradientClipping.scale(0.5, 1.0));
            assertEquals(0.2, GradientClipping.scale(5.0, 1.0), 1e-6);
            assertEquals(1.0, GradientClipping.scale(5.0, 0.0));
            NDArray p = m.create(new float[] {0f});
            NamedArrays params = new NamedArrays(List.of("p"), List.of(p));
            try (Ema ema = new Ema(params, 0.999, m)) {
                assertEquals(0.1, ema.currentDecay(), 1e-12); // (1 + 0) / (10 + 0)
                p.addi(10f);
                ema.update(params); // 0.1 * 0 + 0.9 * 10
                assertEquals(9f, ema.weights().get(0).getFloat(0), 1e-5);
                assertEquals(2.0 / 11, ema.currentDecay(), 1e-12);
            }
        }
    }
}
