package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.nn.LowPrecision;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.train.BatchSource;
import org.diffusion4j.train.NamedArrays;
import org.diffusion4j.train.RunFolder;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fp16 (float16 copies of float32 master weights) against fp32 on the tiny U-Net. */
class MixedPrecisionTest {
    private static final DdpmSpec TINY = DdpmTrainingTest.TINY;

    private static BatchSource source(DataSet d, int batch, long seed) {
        return DdpmTrainingTest.source(d, batch, seed);
    }

    /** The training loss of one batch and its gradient (flattened, float32) in a precision. */
    private static float[][] lossAndGradient(Ddpm ddpm, NDArray x, Precision p, NDManager m) {
        try (NDManager sub = m.newSubManager();
                LowPrecision lp = LowPrecision.enter(ddpm.network(), p, sub, true)) {
            Runtime.seed(7); // same t, noise and dropout masks in both precisions
            NDArray loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                loss = ddpm.diffusion().trainingLoss(ddpm.denoiser(), x, LossType.L2);
                gc.backward(loss);
            }
            List<NDArray> grads;
            if (lp.reduced()) {
                grads = lp.float32Gradients(sub, 1.0);
            } else {
                grads = NamedArrays.parametersOf(ddpm.network()).arrays().stream()
                        .map(NDArray::getGradient).toList();
            }
            float[] g = grads.stream().map(a -> a.flatten()).reduce((a, b) -> a.concat(b)).orElseThrow()
                    .toFloatArray();
            if (!lp.reduced()) {
                for (NDArray a : NamedArrays.parametersOf(ddpm.network()).arrays()) {
                    a.getGradient().subi(a.getGradient());
                }
            }
            return new float[][] {{loss.getFloat()}, g};
        }
    }

    @Test
    void float16LossAndGradientAgreeWithFloat32() {
        try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.create(TINY, m, 3)) {
            NDArray x = source(Mnist.train().subset(64), 16, 3).batch(0, m).x();
            float[][] f32 = lossAndGradient(ddpm, x, Precision.FP32, m);
            float[][] f16 = lossAndGradient(ddpm, x, Precision.FP16, m);
            assertEquals(f32[0][0], f16[0][0], 0.01 * f32[0][0], "loss");
            double dot = 0, a = 0, b = 0;
            for (int i = 0; i < f32[1].length; i++) {
                dot += (double) f32[1][i] * f16[1][i];
                a += (double) f32[1][i] * f32[1][i];
                b += (double) f16[1][i] * f16[1][i];
            }
            double cosine = dot / Math.sqrt(a * b);
            assertTrue(cosine > 0.999, "cosine of the fp16 and fp32 gradients " + cosine);
            assertEquals(1.0, Math.sqrt(b / a), 0.01, "norm ratio of the fp16 and fp32 gradients");
        }
    }

    private static List<Float> train(Path dir, Precision p) {
        // Few small steps: oneDNN runs float16 backward-weights convolutions with its reference
        // kernel on CPUs without fp16 support for it (this one), about 40x slower than float32.
        TrainConfig cfg = TrainConfig.builder().steps(STEPS).batchSize(4).lr(1e-3).warmupSteps(2).emaDecay(0.9)
                .seed(1).checkpointEvery(1000).sampleEvery(0).logEvery(1000).precision(p.label()).build();
        try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.create(TINY, m, cfg.seed())) {
            DdpmTask task = new DdpmTask(ddpm, "{}", null);
            try (RunFolder folder = RunFolder.open(dir); Trainer t = folder.attach(new Trainer(task, source(Mnist.train().subset(64), 4, 1), cfg, m))) {
                List<Float> losses = t.run().losses();
                assertEquals(0, t.skippedSteps(), "updates skipped for overflow");
                return losses;
            }
        }
    }

    private static final int STEPS = 6;

    @Test
    void float16TrainingFollowsTheFloat32LossCurve(@TempDir Path a, @TempDir Path b) {
        List<Float> f32 = train(a, Precision.FP32);
        List<Float> f16 = train(b, Precision.FP16);
        // Same seed, same batches, same noise, same dropout: after updates made from float16
        // gradients (loss-scaled, unscaled in float32) the losses stay those of float32.
        assertEquals(STEPS, f16.size());
        for (int i = 0; i < STEPS; i++) {
            assertEquals(f32.get(i), f16.get(i), 0.02 * f32.get(i), "loss of step " + (i + 1));
        }
        assertTrue(f32.get(STEPS - 1) != f32.get(0), "the weights changed");
    }

    @Test
    void float16SamplesMatchFloat32Samples() {
        try (NDManager m = Runtime.newManager(); Ddpm ddpm = Ddpm.create(TINY, m, 4)) {
            DdimSampler ddim = new DdimSampler(ddpm.diffusion().schedule(), 10, 0.0, true);
            float[] x32 = ddpm.sampling(4).sampler(ddim).seed(9).manager(m).draw().toFloatArray();
            NDArray s16 = ddpm.sampling(4).sampler(ddim).seed(9).precision(Precision.FP16).manager(m).draw();
            assertEquals(DataType.FLOAT32, s16.getDataType());
            float[] x16 = s16.toFloatArray();
            double worst = 0;
            double mean = 0;
            for (int i = 0; i < x32.length; i++) {
                worst = Math.max(worst, Math.abs(x32[i] - x16[i]));
                mean += Math.abs(x32[i] - x16[i]) / x32.length;
            }
            // float16 keeps 11 significant bits (relative rounding 5e-4); ten steps of an untrained
            // network's large eps predictions amplify it, most at the few pixels near the clip edges
            System.out.printf("fp16 vs fp32 samples: mean difference %.5f, largest %.5f%n", mean, worst);
            assertTrue(mean < 0.005 && worst < 0.1, "pixel differences of 10-step DDIM samples: mean " + mean + ", largest " + worst);
        }
    }

    @Test
    void aNetworkThatIgnoresTheCopiesIsToldSo() {
        try (NDManager m = Runtime.newManager()) {
            ai.djl.nn.core.Linear lin = ai.djl.nn.core.Linear.builder().setUnits(2).build();
            lin.initialize(m, DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3));
            try (NDManager sub = m.newSubManager();
                    LowPrecision lp = LowPrecision.enter(lin, Precision.FP16, sub, true)) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    // A plain ParameterStore hands out the float32 weights, not the float16 copies.
                    NDArray y = lin.forward(new ai.djl.training.ParameterStore(sub, false),
                            new ai.djl.ndarray.NDList(sub.ones(new ai.djl.ndarray.types.Shape(1, 3))), true).head();
                    gc.backward(y.sum());
                }
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> lp.float32Gradients(sub, 1.0));
                assertTrue(e.getMessage().contains("CastingParameterStore"), e.getMessage());
            }
        }
    }

    @Test
    void bfloat16IsRefusedWithAReasonAndOldConfigsMeanFloat32() {
        UserException e = assertThrows(UserException.class, () -> Precision.parse("bf16"));
        assertTrue(e.getMessage().contains("use fp32 or fp16"), e.getMessage());
        assertThrows(UserException.class, () -> Precision.parse("fp8"));
        TrainConfig old = TrainConfig.fromJson("{\"steps\":10,\"batchSize\":4,\"lr\":0.001}");
        assertEquals(Precision.FP32, old.precisionValue());
    }
}
