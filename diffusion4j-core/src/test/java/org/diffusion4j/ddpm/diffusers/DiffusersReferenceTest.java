package org.diffusion4j.ddpm.diffusers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.diffusion4j.Runtime;
import org.diffusion4j.ddpm.Ddpm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported folder computes, under diffusers' rules, what our network computes: the same input
 * through our U-Net and through unet2d_reference.py, an independent float64 numpy statement of
 * diffusers' UNet2DModel forward pass that reads only the exported folder. Catches what key names
 * and shapes cannot: swapped tensors of equal shape, the time-embedding order, the skip order.
 * Skipped when python3 with numpy is not installed.
 */
class DiffusersReferenceTest {
    @TempDir
    Path tmp;

    @Test
    void exportedFolderComputesOurOutputsUnderDiffusersRules() throws Exception {
        assumeTrue(run("python3", "-c", "import numpy") == 0, "python3 with numpy is not available");
        Path script = tmp.resolve("unet2d_reference.py");
        try (InputStream in = getClass().getResourceAsStream("/diffusers/unet2d_reference.py")) {
            Files.copy(in, script);
        }
        try (NDManager m = Runtime.newManager(); Ddpm d = Ddpm.create(DiffusersFolderTest.small(), m, 21)) {
            Path dir = tmp.resolve("pipe");
            DiffusersFolder.export(d, dir);
            long[] row = d.spec().rowShape();
            int n = 3;
            float[] x = new float[(int) (n * row[0] * row[1] * row[2])];
            Random r = new Random(5);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            float[] t = {0, 17, 49};
            ByteBuffer bb = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : x) {
                bb.putFloat(v);
            }
            Files.write(tmp.resolve("x.f32"), bb.array());
            assertEquals(0, run("python3", script.toString(), dir.toString(), tmp.resolve("x.f32").toString(), "0,17,49",
                    tmp.resolve("y.f32").toString()));
            ByteBuffer yb = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("y.f32"))).order(ByteOrder.LITTLE_ENDIAN);
            float[] ours = d.network().forward(new ParameterStore(m, false),
                    new NDList(m.create(x, d.spec().batchShape(n)), m.create(t, new Shape(n))), false)
                    .singletonOrThrow().toFloatArray();
            assertEquals(ours.length * 4, yb.remaining());
            double maxAbs = 0;
            double maxErr = 0;
            for (float o : ours) {
                float ref = yb.getFloat();
                maxAbs = Math.max(maxAbs, Math.abs(ref));
                maxErr = Math.max(maxErr, Math.abs(o - ref));
            }
            assertTrue(maxAbs > 0.1, "a trivial output proves nothing: " + maxAbs);
            assertTrue(maxErr < 1e-4 * maxAbs, "largest difference " + maxErr + " of outputs up to " + maxAbs);
        }
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).inheritIO().start();
        } catch (IOException e) {
            return -1;
        }
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -2;
        }
        return p.exitValue();
    }
}
