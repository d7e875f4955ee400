package org.diffusion4j.examples;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.io.ImageGrid;

/**
 * Draws digits from a trained DDPM, here the bundled MNIST model, with the sampler its file
 * recommends (SDE-DPM-Solver++(2M), 16 trailing steps, eta 1.1) and seed 0: the same digits as
 * {@code ./diffusion4j sample --n 64 --out digits.png}.
 *
 * <p>Run: {@code SampleBundled [MODEL_FILE [OUT_PNG [N]]]}.
 */
public final class SampleBundled {
    private SampleBundled() {}

    /** Samples {@code n} digits from {@code model} into a grid at {@code out}; returns them, [n, 1, 28, 28] in [-1, 1]. */
    public static float[] run(Path model, Path out, int n, long seed) {
        try (Ddpm ddpm = Ddpm.load(model)) {
            NDArray x = ddpm.sampling(n).seed(seed).draw();
            ImageGrid.save(out, x, ImageGrid.Range.MINUS_ONE_ONE);
            return x.toFloatArray();
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
