package org.diffusion4j.examples;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.DdpmTraining;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.io.ImageGrid;

/**
 * Trains the tiny U-Net (164 thousand parameters) on a few hundred MNIST digits, saves it with
 * the sampler it should be drawn with (DDIM, 20 steps), loads the file back and samples it. The
 * images of MNIST are pixels in [0, 1]; the training scales them to the [-1, 1] a DDPM works in.
 *
 * <p>Run: {@code TrainTinyUNet [STEPS]} from the repository root (it reads data/mnist).
 */
public final class TrainTinyUNet {
    private TrainTinyUNet() {}

    /** The loss of every step, and the samples of the loaded model ([n, 1, 28, 28] in [-1, 1]). */
    public record Result(List<Float> losses, float[] samples, SamplerSettings loadedSampler) {}

    public static Result run(int steps, Path file, Path png) {
        DdpmSpec spec = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 28, 28, NoiseSchedule.ddpm(), LossType.L2);
        List<Float> losses = new ArrayList<>();
        try (Ddpm ddpm = DdpmTraining.of(spec).data(Mnist.train().subset(512)).batchSize(16).steps(steps).learningRate(1e-3)
                .threads(1).onStep(r -> losses.add(r.loss())).run()) {
            ddpm.setDefaultSampler(SamplerSettings.of(SamplerSettings.Kind.DDIM).withSteps(20));
            ddpm.save(file);
        }
        try (Ddpm loaded = Ddpm.load(file)) {
            NDArray x = loaded.sample(16);
            ImageGrid.save(png, x, ImageGrid.Range.MINUS_ONE_ONE);
            return new Result(losses, x.toFloatArray(), loaded.defaultSampler());
        }
    }

    public static void main(String[] args) {
        Result r = run(args.length > 0 ? Integer.parseInt(args[0]) : 200, Path.of("tiny.safetensors"), Path.of("tiny.png"));
        System.out.printf("loss %.3f at the first step, %.3f at the last; wrote tiny.safetensors and 16 samples to tiny.png%n",
                r.losses().get(0), r.losses().get(r.losses().size() - 1));
    }
}
