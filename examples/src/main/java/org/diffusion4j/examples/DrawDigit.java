package org.diffusion4j.examples;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.io.ImageGrid;

/**
 * Draws the digit you ask for from the bundled class-conditional DDPM, with classifier-free
 * guidance: the same digits as {@code ./diffusion4j sample --class 7 --guidance 1 --n 16}.
 *
 * <p>Run: {@code DrawDigit [DIGIT [OUT_PNG]]} from the repository root.
 */
public final class DrawDigit {
    private DrawDigit() {}

    /** n samples of {@code digit} with guidance weight w, [n, 1, 28, 28] in [-1, 1], drawn into {@code out}. */
    public static float[] run(Path model, int digit, double w, int n, Path out) {
        try (Ddpm ddpm = Ddpm.load(model)) {
            NDArray x = ddpm.sampling(n).classLabel(digit).guidance(w).draw();
            ImageGrid.save(out, x, ImageGrid.Range.MINUS_ONE_ONE);
            return x.toFloatArray();
        }
    }

    public static void main(String[] args) {
        int digit = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Path out = Path.of(args.length > 1 ? args[1] : "digit.png");
        run(Path.of("models/ddpm-mnist-cond.safetensors"), digit, 1.0, 16, out);
        System.out.println("wrote 16 samples of the digit " + digit + " to " + out);
    }
}
