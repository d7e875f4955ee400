package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path tmp;

    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bos);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        out.flush();
        return bos.toByteArray();
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(b);
        }
        return bos.toByteArray();
    }

    static void assertOneLineNaming(UserException e, Path file) {
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void roundTripPlainAndGzipped() throws IOException {
        byte[] pixels = new byte[3 * 2 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 11);
        }
        byte[] img = idx(IdxReader.IMAGES_MAGIC, new int[] {3, 2, 4}, pixels);
        byte[] lab = idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {7, 0, (byte) 200});
        for (boolean gz : new boolean[] {false, true}) {
            // gzipped file deliberately without .gz: detection is by content
            Path ip = tmp.resolve("imgs" + gz);
            Path lp = tmp.resolve("labs" + gz + (gz ? ".gz" : ""));
            Files.write(ip, gz ? gzip(img) : img);
            Files.write(lp, gz ? gzip(lab) : lab);
            DataSet d = IdxReader.readPair(ip, lp);
            assertEquals(3, d.size());
            assertArrayEquals(new long[] {1, 2, 4}, d.rowShape());
            for (int i = 0; i < pixels.length; i++) {
                assertEquals((pixels[i] & 0xff) / 255f, d.data()[i], 0f);
            }
            assertArrayEquals(new int[] {7, 0, 200}, d.labels());
            assertEquals(201, d.numClasses());
            assertTrue(IdxReader.looksLikeIdx(ip));
        }
    }

    @Test
    void badMagicTruncatedTooLongMissing() throws IOException {
        Path bad = tmp.resolve("bad.idx");
        Files.write(bad, idx(0x12345678, new int[] {1, 1, 1}, new byte[1]));
        UserException e = assertThrows(UserException.class, () -> IdxReader.readImages(bad));
        assertOneLineNaming(e, bad);
        assertTrue(e.getMessage().contains("0x12345678") && e.getMessage().contains("0x00000803"), e.getMessage());

        Path labelsAsImages = tmp.resolve("labels.idx");
        Files.write(labelsAsImages, idx(IdxReader.LABELS_MAGIC, new int[] {1}, new byte[1]));
        assertOneLineNaming(assertThrows(UserException.class, () -> IdxReader.readImages(labelsAsImages)),
                labelsAsImages);

        byte[] full = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 3, 3}, new byte[18]);
        Path trunc = tmp.resolve("trunc.idx");
        Files.write(trunc, Arrays.copyOf(full, full.length - 5));
        e = assertThrows(UserException.class, () -> IdxReader.readImages(trunc));
        assertOneLineNaming(e, trunc);
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        Path truncGz = tmp.resolve("trunc.gz");
        byte[] gz = gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {50, 10, 10}, new byte[5000]));
        Files.write(truncGz, Arrays.copyOf(gz, gz.length / 2));
        assertOneLineNaming(assertThrows(UserException.class, () -> IdxReader.readImages(truncGz)), truncGz);

        Path tooLong = tmp.resolve("long.idx");
        Files.write(tooLong, Arrays.copyOf(full, full.length + 3));
        e = assertThrows(UserException.class, () -> IdxReader.readImages(tooLong));
        assertOneLineNaming(e, tooLong);

        Path missing = tmp.resolve("nope-idx3-ubyte.gz");
        assertOneLineNaming(assertThrows(UserException.class, () -> IdxReader.readImages(missing)), missing);

        Path empty = tmp.resolve("empty");
        Files.write(empty, new byte[0]);
        assertOneLineNaming(assertThrows(UserException.class, () -> IdxReader.readImages(empty)), empty);
    }

    @Test
    void countMismatch() throws IOException {
        Path ip = tmp.resolve("i");
        Path lp = tmp.resolve("l");
        Files.write(ip, idx(IdxReader.IMAGES_MAGIC, new int[] {2, 1, 1}, new byte[2]));
        Files.write(lp, idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[3]));
        assertOneLineNaming(assertThrows(UserException.class, () -> IdxReader.readPair(ip, lp)), lp);
    }
}
