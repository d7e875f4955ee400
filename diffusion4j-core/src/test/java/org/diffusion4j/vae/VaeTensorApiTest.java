package org.diffusion4j.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.train.NamedArrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** encode(x) and decode(z) on tensors are the encoder and decoder the data-set methods use; save and load round-trip bit for bit. */
class VaeTensorApiTest {
    private static final VaeSpec SPEC = VaeSpec.preset("iwae", 1, 28, 28).hidden(50).latent(4).build();

    @Test
    void encodeAndDecodeAreThePairOfTheDataSetMethods(@TempDir Path dir) {
        DataSet digits = Mnist.test().subset(3);
        try (Vae vae = Vae.create(SPEC, 2); NDManager m = TorchRuntime.newManager()) {
            NDArray x = digits.toNDArray(m);
            VaeModel.Posterior q = vae.encode(x);
            assertEquals(new Shape(3, 4), q.mu().getShape());
            assertEquals(new Shape(3, 4), q.logVar().getShape());
            assertArrayEquals(vae.encodeMeans(digits, m), q.mu().toFloatArray(), 0f, "mu is the encoder's mean");
            NDArray back = vae.decode(q.mu());
            assertEquals(new Shape(3, 1, 28, 28), back.getShape());
            assertArrayEquals(vae.reconstruct(digits, m).toFloatArray(), back.toFloatArray(), 0f, "decode(mu) is the reconstruction");
            assertEquals("x (3, 5) does not hold rows of this model's 784 values",
                    org.junit.jupiter.api.Assertions.assertThrows(InvalidArgumentException.class, () -> vae.encode(m.zeros(new Shape(3, 5))))
                            .getMessage());

            Path file = dir.resolve("vae.safetensors");
            vae.save(file);
            try (Vae loaded = Vae.load(file)) {
                NamedArrays a = NamedArrays.parametersOf(vae.model());
                NamedArrays b = NamedArrays.parametersOf(loaded.model());
                for (int i = 0; i < a.size(); i++) {
                    assertArrayEquals(a.get(i).toFloatArray(), b.get(i).toFloatArray(), 0f, a.name(i));
                }
                assertArrayEquals(q.mu().toFloatArray(), loaded.encode(x).mu().toFloatArray(), 0f);
            }
        }
    }
}
