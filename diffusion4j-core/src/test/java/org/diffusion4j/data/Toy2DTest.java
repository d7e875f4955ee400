package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Toy2DTest {
    @TempDir
    Path tmp;

    @Test
    void deterministicSizedAndStandardised() {
        for (String name : Toy2D.NAMES) {
            DataSet a = Toy2D.generate(name, 4001, 7);
            DataSet b = Toy2D.generate(name, 4001, 7);
            DataSet c = Toy2D.generate(name, 4001, 8);
            assertEquals(4001, a.size());
            assertArrayEquals(new long[] {2}, a.rowShape());
            assertArrayEquals(a.data(), b.data(), name);
            assertFalse(Arrays.equals(a.data(), c.data()), name);
            double mx = 0, my = 0, ss = 0;
            for (int i = 0; i < a.size(); i++) {
                mx += a.data()[2 * i];
                my += a.data()[2 * i + 1];
                ss += a.data()[2 * i] * a.data()[2 * i] + a.data()[2 * i + 1] * a.data()[2 * i + 1];
            }
            double rms = Math.sqrt(ss / (2 * a.size()));
            assertTrue(Math.abs(mx / a.size()) < 0.1 && Math.abs(my / a.size()) < 0.1, name);
            assertTrue(rms > 0.9 && rms < 1.1, name + " rms " + rms);
        }
        assertEquals(8, Toy2D.generate("8gaussians", 10, 1).numClasses());
        assertThrows(UserException.class, () -> Toy2D.generate("spiral", 10, 1));
    }

    @Test
    void csv() throws Exception {
        Path f = tmp.resolve("p.csv");
        Files.writeString(f, "x,y\n1.5,2\n# comment\n\n-3, 4e-1\n");
        DataSet d = Toy2D.readCsv(f);
        assertEquals(2, d.size());
        assertArrayEquals(new float[] {1.5f, 2f, -3f, 0.4f}, d.data());
        assertNull(d.labels());
        Path g = tmp.resolve("q.csv");
        Files.writeString(g, "0 0 1\n1 1 0\n");
        assertArrayEquals(new int[] {1, 0}, Toy2D.readCsv(g).labels());
        Path bad = tmp.resolve("bad.csv");
        Files.writeString(bad, "x,y\n1,2\n3,oops\n");
        UserException e = assertThrows(UserException.class, () -> Toy2D.readCsv(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains(":3:"), e.getMessage());
    }
}
