package org.diffusion4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.diffusion4j.Runtime;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.diffusion.DpmSolverSampler;
import org.diffusion4j.diffusion.Timesteps;
import org.diffusion4j.io.ImageGrid;

/**
 * Draws digits from a trained DDPM, here the bundled MNIST model: load it, pick a sampler
 * (SDE-DPM-Solver++(2M), 20 trailing steps: the default of 'sample'), sample, and write the grid
 * as a PNG.
 *
 * <p>Run: {@code SampleBundled [MODEL_FILE [OUT_PNG [N]]]}.
 */
public final class SampleBundled {
    private SampleBundled() {}

    /**
     * Samples {@code n} digits from {@code model} into a grid at {@code out}.
     *
     * @return the samples, [n, 1, 28, 28], in [-1, 1]
     */
    public static float[] run(Path model, Path out, int n, long seed) {
        try (NDManager manager = Runtime.newManager();
                Ddpm ddpm = Ddpm.load(model, true, manager)) {
            DpmSolverSampler sampler = new DpmSolverSampler(ddpm.spec().schedule(), 20, Timesteps.Spacing.TRAILING,
                    true, false, 1.0);
            NDArray x = ddpm.sampling(n).batch(n).sampler(sampler).seed(seed).manager(manager).draw();
            float[] pixels = x.toFloatArray();
            ImageGrid.save(out, ImageGrid.fromMinusOneOne(pixels), x.getShape().getShape(), 8, 2, 2);
            return pixels;
        }
    }

    public static void main(String[] args) {
        Path model = Path.of(args.length > 0 ? args[0] : "models/ddpm-mnist.safetensors");
        Path out = Path.of(args.length > 1 ? args[1] : "digits.png");
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        run(model, out, n, 0);
        System.out.println("wrote " + n + " samples to " + out);
    }
}
