package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints as safetensors: layout, checksums, non-finite refusal, the old format still read. */
class ModelFileTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void init() {
        Runtime.init();
    }

    private static float[] values(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static NamedArrays arrays(NDManager m, Random r) {
        return new NamedArrays(List.of("conv.weight", "conv.bias"),
                List.of(m.create(values(r, 2 * 3 * 4), new Shape(2, 3, 4)), m.create(values(r, 64), new Shape(64))));
    }

    private static Checkpoint training(NDManager m) {
        Random r = new Random(5);
        Map<String, NamedArrays> s = new LinkedHashMap<>();
        s.put("model", arrays(m, r));
        s.put("ema", arrays(m, r));
        s.put("adam.m", arrays(m, r));
        s.put("adam.v", arrays(m, r));
        JsonObject h = new JsonObject();
        h.addProperty("kind", "test");
        h.add("model", JsonParser.parseString("{\"width\": 3}"));
        h.addProperty("step", 42);
        return new Checkpoint(h, s);
    }

    private static void assertSame(Checkpoint a, Checkpoint b) {
        assertEquals(JsonParser.parseString(a.header()), JsonParser.parseString(b.header()));
        assertEquals(a.sections().keySet(), b.sections().keySet());
        for (String s : a.sections().keySet()) {
            NamedArrays x = a.section(s);
            NamedArrays y = b.section(s);
            assertEquals(x.size(), y.size());
            for (int i = 0; i < x.size(); i++) {
                assertEquals(x.name(i), y.name(i));
                assertEquals(x.get(i).getShape(), y.get(i).getShape());
                assertArrayEquals(x.get(i).toFloatArray(), y.get(i).toFloatArray(), s + "/" + x.name(i));
            }
        }
    }

    @Test
    void roundTripIsExactAndReadableAsPlainSafetensors() {
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint c = training(m);
            Path f = tmp.resolve("checkpoint.bin");
            c.write(f);
            assertSame(c, Checkpoint.read(f, m));
            assertEquals(42, Checkpoint.read(f, m).step());

            // what a Python user sees with safe_open: readable names, JSON metadata, zlib CRC-32s
            SafeTensors.Contents raw = SafeTensors.read(f);
            assertEquals(List.of("model/conv.weight", "model/conv.bias", "conv.weight", "conv.bias",
                    "adam.m/conv.weight", "adam.m/conv.bias", "adam.v/conv.weight", "adam.v/conv.bias"),
                    List.copyOf(raw.tensors().keySet()));
            assertEquals("2", raw.metadata().get("diffusion4j.format"));
            assertEquals("test", raw.metadata().get("diffusion4j.kind"));
            assertEquals(3, JsonParser.parseString(raw.metadata().get("diffusion4j.header")).getAsJsonObject()
                    .getAsJsonObject("model").get("width").getAsInt());
            assertArrayEquals(c.section("ema").get(0).toFloatArray(), raw.tensors().get("conv.weight").toFloats());
            // the checksum is zlib's CRC-32 of the tensor's bytes, computed here independently
            byte[] bytes = new byte[64 * 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(c.section("adam.v").get(1).toFloatArray());
            CRC32 crc = new CRC32();
            crc.update(bytes);
            assertEquals(String.format("%08x", crc.getValue()), JsonParser.parseString(raw.metadata().get("diffusion4j.crc32"))
                    .getAsJsonObject().get("adam.v/conv.bias").getAsString());
        }
    }

    /** The case: 64 bytes of 0xFF in the weights once loaded silently. */
    @Test
    void sixtyFourBytesOfFfInTheWeightsFailWithOneLine() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path f = tmp.resolve("checkpoint.bin");
            training(m).write(f);
            SafeTensors.Contents raw = SafeTensors.read(f);
            long dataStart = 8 + ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            // "model/conv.bias": 256 bytes after the 96 of "model/conv.weight"
            long at = dataStart + 96 + 100;
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.seek(at);
                byte[] ff = new byte[64];
                Arrays.fill(ff, (byte) 0xFF);
                raf.write(ff);
            }
            assertEquals(8, raw.tensors().size());
            UserException e = assertThrows(UserException.class, () -> Checkpoint.read(f, m));
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(e.getMessage().startsWith(f + " is damaged: tensor 'model/conv.bias' does not match its checksum"),
                    e.getMessage());
        }
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() {
        try (NDManager m = NDManager.newBaseManager()) {
            NamedArrays w = new NamedArrays(List.of("a", "b"),
                    List.of(m.create(new float[] {1, 2}), m.create(new float[] {3, Float.POSITIVE_INFINITY})));
            JsonObject h = new JsonObject();
            h.addProperty("kind", "test");
            Path f = tmp.resolve("inf.safetensors");
            new Checkpoint(h, Map.of("ema", w)).write(f);
            UserException e = assertThrows(UserException.class, () -> Checkpoint.read(f, m));
            assertTrue(e.getMessage().startsWith(f + ": tensor 'b' holds non-finite values"), e.getMessage());
        }
    }

    @Test
    void oldFormatStaysReadableAndItsDamageIsRefused() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint c = training(m);
            Path old = tmp.resolve("old.bin");
            LegacyCheckpoint.write(c, old, DataType.FLOAT32);
            assertTrue(LegacyCheckpoint.isLegacy(old));
            assertSame(c, Checkpoint.read(old, m));
            // read old, write new: the same checkpoint
            Path converted = tmp.resolve("new.safetensors");
            Checkpoint.read(old, m).write(converted);
            assertFalse(LegacyCheckpoint.isLegacy(converted));
            assertSame(c, Checkpoint.read(converted, m));

            // the 64 bytes of 0xFF, at the end of the old file (adam.v's last array): NaN
            byte[] b = Files.readAllBytes(old);
            Arrays.fill(b, b.length - 64, b.length, (byte) 0xFF);
            Files.write(old, b);
            UserException e = assertThrows(UserException.class, () -> Checkpoint.read(old, m));
            assertTrue(e.getMessage().startsWith(old + ": tensor 'adam.v/conv.bias' holds non-finite values"), e.getMessage());
        }
    }

    @Test
    void foreignSafetensorsIsOneLine() {
        Path f = tmp.resolve("foreign.safetensors");
        SafeTensors.write(f, Map.of("w", SafeTensors.Tensor.ofFloats(new long[] {1}, new float[] {1})), Map.of());
        try (NDManager m = NDManager.newBaseManager()) {
            UserException e = assertThrows(UserException.class, () -> Checkpoint.read(f, m));
            assertTrue(e.getMessage().contains("without diffusion4j's metadata"), e.getMessage());
        }
    }
}
