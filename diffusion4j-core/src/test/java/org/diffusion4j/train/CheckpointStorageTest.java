package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints stored as float16 (shipped models at half the size) read back as float32. */
class CheckpointStorageTest {
    /** Values with their IEEE half-precision roundings, worked out by hand from the bit patterns. */
    private static final float[] VALUES = {1f, 0.1f, 1f / 3, 65504f, 0x1p-24f, 1e-9f, -2.5f, 3.14159265f, -7.123456f};
    private static final float[] HALF = {
        1f,
        0x1.998p-4f, // 0x2E66: 0.1 to 10 significant bits, rounded down
        0x1.554p-2f, // 0x3555: 0.333251953125
        65504f, // 0x7BFF: the largest finite half
        0x1p-24f, // 0x0001: the smallest subnormal half
        0f, // below half the smallest subnormal: rounds to zero
        -2.5f,
        3.140625f, // 0x4248
        -7.125f, // 0xC720
    };

    @Test
    void float16RoundsToNearestAndWidensBack(@TempDir Path dir) throws java.io.IOException {
        Runtime.init();
        try (NDManager m = NDManager.newBaseManager()) {
            Random rnd = new Random(3);
            float[] noise = new float[3 * 50];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(5) - 3));
            }
            NamedArrays arrays = new NamedArrays(List.of("exact", "noise"),
                    List.of(m.create(VALUES), m.create(noise, new Shape(3, 50))));
            JsonObject h = new JsonObject();
            h.addProperty("kind", "test");
            Checkpoint c = new Checkpoint(h, Map.of("ema", arrays));
            Path f32 = dir.resolve("w32.bin");
            Path f16 = dir.resolve("w16.bin");
            c.write(f32);
            c.write(f16, DataType.FLOAT16);
            long payload32 = 4L * (VALUES.length + noise.length);
            assertEquals(payload32 / 2, Files.size(f32) - Files.size(f16), "float16 halves the data");

            NamedArrays back = Checkpoint.read(f16, m).section("ema");
            assertEquals(DataType.FLOAT32, back.get(0).getDataType());
            assertArrayEquals(HALF, back.get(0).toFloatArray());
            assertEquals(new Shape(3, 50), back.get(1).getShape());
            float[] got = back.get(1).toFloatArray();
            for (int i = 0; i < noise.length; i++) { // round to nearest: within half a unit in the 11th bit
                double tol = Math.max(Math.abs(noise[i]) * 0x1p-11, 0x1p-25);
                assertTrue(Math.abs(got[i] - noise[i]) <= tol, i + ": " + noise[i] + " -> " + got[i]);
            }
            NDArray exact = Checkpoint.read(f32, m).section("ema").get(1);
            assertArrayEquals(noise, exact.toFloatArray(), "float32 stays exact");
        }
    }
}
