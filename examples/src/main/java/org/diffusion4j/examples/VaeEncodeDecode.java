package org.diffusion4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.vae.Vae;
import org.diffusion4j.vae.VaeModel;

/**
 * Encodes test digits with a trained VAE (the bundled MLP VAE) to q(z|x) = N(mu, exp(logVar)),
 * decodes the means back to images, and draws the inputs over their reconstructions.
 *
 * <p>Run: {@code VaeEncodeDecode [MODEL_FILE [OUT_PNG]]} from the repository root (it reads data/mnist).
 */
public final class VaeEncodeDecode {
    private VaeEncodeDecode() {}

    /** The inputs and their reconstructions, [n, 1, 28, 28] each in [0, 1], and the latent means [n, L]. */
    public record Result(float[] inputs, float[] reconstructions, float[] means) {}

    public static Result run(Path model, Path out, int n) {
        try (Vae vae = Vae.load(model); NDManager m = TorchRuntime.newManager()) {
            NDArray x = Mnist.test().subset(n).toNDArray(m);
            VaeModel.Posterior q = vae.encode(x);
            NDArray back = vae.decode(q.mu());
            ImageGrid.save(out, NDArrays.concat(new NDList(x, back)), ImageGrid.Range.ZERO_ONE, n);
            return new Result(x.toFloatArray(), back.toFloatArray(), q.mu().toFloatArray());
        }
    }

    public static void main(String[] args) {
        Path model = Path.of(args.length > 0 ? args[0] : "models/vae-iwae.safetensors");
        Path out = Path.of(args.length > 1 ? args[1] : "reconstructions.png");
        run(model, out, 8);
        System.out.println("wrote 8 test digits over their reconstructions to " + out);
    }
}
