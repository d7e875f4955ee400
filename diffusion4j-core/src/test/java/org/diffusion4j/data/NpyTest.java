package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripAndHeaderBytes() throws Exception {
        float[] v = new float[2 * 3 * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5f - 3;
        }
        Path f = tmp.resolve("a.npy");
        Npy.write(f, v, new long[] {2, 3, 4});
        byte[] b = Files.readAllBytes(f);
        assertEquals((byte) 0x93, b[0]);
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        assertEquals(1, b[6]);
        assertEquals(0, b[7]);
        int hl = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        int dataStart = 10 + hl;
        assertEquals(0, dataStart % 64);
        assertEquals('\n', b[dataStart - 1]);
        String h = new String(b, 10, hl, StandardCharsets.US_ASCII);
        assertTrue(h.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }"), h);
        assertEquals(dataStart + 4 * v.length, b.length);
        assertEquals(v[1], ByteBuffer.wrap(b, dataStart + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());

        Npy.Array a = Npy.readArray(f);
        assertArrayEquals(new long[] {2, 3, 4}, a.shape());
        assertArrayEquals(v, a.data());
        DataSet d = Npy.read(f);
        assertEquals(2, d.size());
        assertArrayEquals(new long[] {3, 4}, d.rowShape());

        Path one = tmp.resolve("one.npy");
        Npy.write(one, new float[] {1, 2, 3}, new long[] {3});
        assertTrue(new String(Files.readAllBytes(one), StandardCharsets.US_ASCII).contains("'shape': (3,)"));
        assertArrayEquals(new long[] {1}, Npy.read(one).rowShape());
    }

    static byte[] npy(String dict, byte[] data) {
        byte[] h = (dict + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer bb = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h).put(data);
        return bb.array();
    }

    @Test
    void readsF8AndU1() throws Exception {
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.5).putDouble(-2);
        Path f8 = tmp.resolve("f8.npy");
        Files.write(f8, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", d.array()));
        assertArrayEquals(new float[] {1.5f, -2f}, Npy.read(f8).data());
        Path u1 = tmp.resolve("u1.npy");
        Files.write(u1, npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }", new byte[] {0, (byte) 255}));
        assertArrayEquals(new float[] {0f, 1f}, Npy.read(u1).data());
    }

    @Test
    void badFilesGiveOneLineErrors() throws Exception {
        Path[] bad = new Path[5];
        bad[0] = tmp.resolve("nomagic.npy");
        Files.write(bad[0], "hello world, not numpy".getBytes(StandardCharsets.US_ASCII));
        bad[1] = tmp.resolve("noshape.npy");
        Files.write(bad[1], npy("{'descr': '<f4', 'fortran_order': False}", new byte[0]));
        bad[2] = tmp.resolve("fortran.npy");
        Files.write(bad[2], npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new byte[4]));
        bad[3] = tmp.resolve("trunc.npy");
        Files.write(bad[3], npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[7]));
        bad[4] = tmp.resolve("dtype.npy");
        Files.write(bad[4], npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new byte[16]));
        for (Path p : bad) {
            UserException e = assertThrows(UserException.class, () -> Npy.read(p), p.toString());
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        Path missing = tmp.resolve("missing.npy");
        assertTrue(assertThrows(UserException.class, () -> Npy.read(missing)).getMessage()
                .contains(missing.toString()));
        assertEquals(0, Arrays.stream(tmp.toFile().list()).filter(n -> n.endsWith(".tmp")).count());
    }
}
