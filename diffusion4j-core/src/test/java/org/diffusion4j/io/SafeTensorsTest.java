package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.io.SafeTensors.DType;
import org.diffusion4j.io.SafeTensors.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    /** A file laid out byte by byte as the format describes (what safetensors.torch.save_file makes). */
    private static byte[] file(String header, int... data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        long n = h.length;
        for (int i = 0; i < 8; i++) {
            out.write((int) (n >>> (8 * i)) & 0xff);
        }
        out.writeBytes(h);
        for (int b : data) {
            out.write(b);
        }
        return out.toByteArray();
    }

    private static final String HAND_HEADER = "{\"__metadata__\":{\"kind\":\"test\"},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[22,24]},"
            + "\"i\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[24,28]}}";

    private static final int[] HAND_DATA = {
        0x00, 0x00, 0x80, 0x3f, // 1.0f  = 0x3f800000
        0x00, 0x00, 0x00, 0xc0, // -2.0f = 0xc0000000
        0x00, 0x00, 0x00, 0x3f, // 0.5f  = 0x3f000000
        0x00, 0x00, 0x40, 0x40, // 3.0f  = 0x40400000
        0x00, 0x3c, // half 1.0 = 0x3c00
        0x00, 0xc0, // half -2.0 = 0xc000
        0xff, 0x7b, // half 65504 (largest finite) = 0x7bff
        0xc0, 0x3f, // bfloat16 1.5 = 0x3fc0
        0x07, 0x00, 0x00, 0x00, // int32 7
    };

    @Test
    void handMadeFileLoadsIntoNamedTensors() throws Exception {
        Path f = tmp.resolve("hand.safetensors");
        Files.write(f, file(HAND_HEADER, HAND_DATA));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(Map.of("kind", "test"), c.metadata());
        assertEquals(List.of("w", "h", "b", "i"), List.copyOf(c.tensors().keySet()));
        Tensor w = c.tensors().get("w");
        assertEquals(DType.F32, w.dtype());
        assertArrayEquals(new long[] {2, 2}, w.shape());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f}, w.toFloats());
        assertArrayEquals(new float[] {1f, -2f, 65504f}, c.tensors().get("h").toFloats());
        assertArrayEquals(new float[] {1.5f}, c.tensors().get("b").toFloats());
        Tensor i = c.tensors().get("i");
        assertArrayEquals(new long[0], i.shape());
        assertEquals(7, i.data().getInt());
        assertTrue(i.data().isReadOnly());
        assertThrows(UserException.class, i::toFloats);
    }

    @Test
    void roundTripKeepsEveryByteAndTheOrder() {
        Random r = new Random(1);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (DType d : DType.values()) {
            long[] shape = {2, 3};
            byte[] b = new byte[6 * d.bytes()];
            r.nextBytes(b);
            t.put("z." + d, new Tensor(d, shape, ByteBuffer.wrap(b)));
        }
        t.put("empty", new Tensor(DType.F32, new long[] {0, 5}, ByteBuffer.allocate(0)));
        t.put("a/scalar", Tensor.ofFloats(new long[0], new float[] {Float.NaN}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("json", "{\"x\": [1, 2]}");
        meta.put("ünïcode", "π ≈ 3.14159\n");
        Path f = tmp.resolve("rt.safetensors");
        SafeTensors.write(f, t, meta);
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(meta, c.metadata());
        assertEquals(List.copyOf(t.keySet()), List.copyOf(c.tensors().keySet()));
        assertEquals(t, c.tensors());
        // the data buffer starts 8-byte aligned, the header padded with spaces
        ByteBuffer head = ByteBuffer.wrap(readAll(f)).order(ByteOrder.LITTLE_ENDIAN);
        long n = head.getLong();
        assertEquals(0, n % 8);
        assertEquals('}', lastNonSpace(readAll(f), (int) n));
    }

    @Test
    void floatConversionsMatchPyTorch() {
        Runtime.init();
        Random r = new Random(7);
        float[] v = new float[4000];
        for (int i = 0; i < v.length; i++) {
            // normal, subnormal and overflowing binary16 ranges, and exact ties
            v[i] = switch (i % 4) {
                case 0 -> (float) r.nextGaussian() * 10;
                case 1 -> (float) r.nextGaussian() * 1e-6f;
                case 2 -> (float) r.nextGaussian() * 1e5f;
                default -> HalfFloats.halfToFloat((short) r.nextInt(0x7c00)) * (1 + 0x1p-11f);
            };
        }
        Tensor t = Tensor.ofFloats(new long[] {v.length}, v);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(v);
            assertArrayEquals(x.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).toFloatArray(),
                    t.as(DType.F16).toFloats());
        }
        // bfloat16 (PyTorch's CPU cast of it aborts here): the nearer of the two truncations, in double
        float[] bf = t.as(DType.BF16).toFloats();
        for (int i = 0; i < v.length; i++) {
            int bits = Float.floatToRawIntBits(Math.abs(v[i]));
            float lo = Float.intBitsToFloat(bits & 0xffff0000);
            float hi = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
            double dLo = Math.abs(v[i]) - (double) lo;
            double dHi = (double) hi - Math.abs(v[i]);
            float nearest = dLo < dHi || (dLo == dHi && (Float.floatToRawIntBits(lo) & 0x10000) == 0) ? lo : hi;
            assertEquals(Math.copySign(nearest, v[i]), bf[i], "bf16 of " + v[i]);
        }
        // every finite binary16 value survives widening and narrowing
        for (int h = 0; h < 0x10000; h++) {
            if ((h & 0x7c00) != 0x7c00) {
                assertEquals((short) h, HalfFloats.floatToHalf(HalfFloats.halfToFloat((short) h)));
            }
        }
        assertTrue(Float.isNaN(Tensor.ofFloats(new long[] {1}, new float[] {Float.NaN}).as(DType.F16).toFloats()[0]));
    }

    private static final String OK_TAIL = "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    @Test
    void eachMalformationIsOneLineNamingTheFile() throws Exception {
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("too short", new byte[] {1, 2, 3});
        byte[] huge = file("{" + OK_TAIL, 0, 0, 0, 0);
        huge[7] = 0x7f; // header length ~ 9e18
        cases.put("header length", huge);
        cases.put("not json", file("{\"w\":{\"dtype\":\"F32\",,}}", 0, 0, 0, 0));
        cases.put("not an object", file("[1, 2]", 0, 0, 0, 0));
        cases.put("unknown dtype", file("{\"w\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 0, 0, 0));
        cases.put("negative dim", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 0, 0, 0, 0));
        cases.put("overflowing shape", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,4]}}", 0, 0, 0, 0));
        cases.put("byte count", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 0, 0, 0, 0));
        cases.put("offsets reversed", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 0, 0, 0, 0));
        cases.put("overlap", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"v\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6]}}", 0, 0, 0, 0, 0, 0));
        cases.put("hole", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 0, 0, 0, 0, 0, 0, 0, 0));
        cases.put("trailing bytes", file("{" + OK_TAIL, 0, 0, 0, 0, 9));
        cases.put("truncated", file("{" + OK_TAIL, 0, 0));
        cases.put("duplicate name", file("{" + OK_TAIL.replace("}}", "},") + OK_TAIL, 0, 0, 0, 0));
        cases.put("metadata not string", file("{\"__metadata__\":{\"a\":1}," + OK_TAIL, 0, 0, 0, 0));
        cases.put("unknown field", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 0, 0, 0, 0));
        cases.put("missing field", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, 0, 0, 0));
        cases.put("bad utf8", file("{\"w\uFFFF\":1}"));
        for (Map.Entry<String, byte[]> e : cases.entrySet()) {
            Path f = tmp.resolve(e.getKey().replace(' ', '-') + ".safetensors");
            byte[] bytes = e.getValue();
            if (e.getKey().equals("bad utf8")) {
                bytes = file("{\"w\":1}");
                bytes[10] = (byte) 0xff; // inside the string value position: invalid UTF-8
            }
            Files.write(f, bytes);
            UserException ex = assertThrows(UserException.class, () -> SafeTensors.read(f), e.getKey());
            String msg = ex.getMessage();
            assertFalse(msg.contains("\n"), e.getKey() + ": " + msg);
            assertTrue(msg.startsWith(f.toString() + ": not a valid safetensors file"), e.getKey() + ": " + msg);
        }
        UserException missing = assertThrows(UserException.class, () -> SafeTensors.read(tmp.resolve("nope")));
        assertTrue(missing.getMessage().contains("no such file"));
    }

    private static byte[] readAll(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static char lastNonSpace(byte[] file, int n) {
        int i = 8 + n - 1;
        while (file[i] == ' ') {
            i--;
        }
        return (char) file[i];
    }
}
