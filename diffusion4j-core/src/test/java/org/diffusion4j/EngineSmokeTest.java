package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class EngineSmokeTest {
    @Test
    void pytorchLoadsOfflineAndComputes() {
        assertEquals("PyTorch", Runtime.init().getEngineName());
        try (NDManager m = Runtime.newManager()) {
            NDArray a = m.create(new float[] {1, 2, 3});
            assertEquals(14f, a.mul(a).sum().getFloat(), 1e-6);
        }
    }
}
