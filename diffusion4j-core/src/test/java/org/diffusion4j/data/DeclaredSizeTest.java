package org.diffusion4j.data;

import static org.diffusion4j.data.IdxReaderTest.assertOneLineNaming;
import static org.diffusion4j.data.IdxReaderTest.gzip;
import static org.diffusion4j.data.IdxReaderTest.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Headers that declare more data than the file holds end in one line before anything is
 * allocated (issue 39): no OutOfMemoryError, no overflowing products; honest gzipped files larger
 * than the first read chunk still load exactly.
 */
class DeclaredSizeTest {
    @TempDir
    Path tmp;

    /** A 128-byte .npy whose header declares 2,000,000,000 float32 values (8 GB). */
    @Test
    void npyDeclaringTwoBillionValuesIsRefusedWithoutAllocating() throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000,), }";
        byte[] file = NpyTest.npy(dict + " ".repeat(128 - 11 - dict.length()), new byte[0]);
        assertEquals(128, file.length);
        Path f = tmp.resolve("huge.npy");
        Files.write(f, file);
        UserException e = assertThrows(UserException.class, () -> Npy.read(f));
        assertOneLineNaming(e, f);
        assertTrue(e.getMessage().contains("8,000,000,000 bytes") && e.getMessage().contains("holds 0"), e.getMessage());
    }

    @Test
    void npyShapeWhoseProductOverflowsIsRefused() throws Exception {
        Path f = tmp.resolve("overflow.npy");
        Files.write(f, NpyTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 3), }",
                new byte[16]));
        UserException e = assertThrows(UserException.class, () -> Npy.read(f));
        assertOneLineNaming(e, f);
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    }

    /** 24 gzipped bytes of header cannot inflate to 8 GB: refused by the deflate bound, not by memory. */
    @Test
    void gzippedNpyDeclaringMoreThanDeflateCanHoldIsRefused() throws Exception {
        Path f = tmp.resolve("huge.npy.gz");
        Files.write(f, gzip(NpyTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000,), }", new byte[64])));
        UserException e = assertThrows(UserException.class, () -> Npy.read(f));
        assertOneLineNaming(e, f);
        assertTrue(e.getMessage().contains("gzip file of"), e.getMessage());
    }

    /** Within the deflate bound but cut short: the reader grows with the data and reports the truncation. */
    @Test
    void gzippedNpyWithinTheBoundButShortIsTruncated() throws Exception {
        Path f = tmp.resolve("short.npy.gz");
        // 1,000,000 declared zeros fit the bound of 1032:1 for a file of a few kB, but only 1,000 are there.
        Files.write(f, gzip(NpyTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000,), }", new byte[4000])));
        UserException e = assertThrows(UserException.class, () -> Npy.read(f));
        assertOneLineNaming(e, f);
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /** More values than the first chunk: the growing array must hold every value in order. */
    @Test
    void gzippedNpyLargerThanTheFirstChunkRoundTrips() throws Exception {
        int n = DeclaredSize.FIRST_CHUNK * 2 + 12345;
        ByteBuffer d = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            d.putFloat(i % 1000);
        }
        Path f = tmp.resolve("big.npy.gz");
        Files.write(f, gzip(NpyTest.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ",), }", d.array())));
        float[] v = Npy.readArray(f).data();
        assertEquals(n, v.length);
        for (int i = 0; i < n; i += 9973) {
            assertEquals(i % 1000, v[i]);
        }
        assertEquals((n - 1) % 1000, v[n - 1]);
    }

    @Test
    void idxDeclaringMoreThanTheFileHoldsIsRefused() throws Exception {
        Path f = tmp.resolve("huge-idx3-ubyte");
        Files.write(f, idx(IdxReader.IMAGES_MAGIC, new int[] {2_000_000_000, 28, 28}, new byte[100]));
        UserException e = assertThrows(UserException.class, () -> IdxReader.readImages(f));
        assertOneLineNaming(e, f);
        assertTrue(e.getMessage().contains("1,568,000,000,000 bytes"), e.getMessage());

        Path gz = tmp.resolve("huge-idx3-ubyte.gz");
        Files.write(gz, gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {60_000, 28, 28}, new byte[100])));
        e = assertThrows(UserException.class, () -> IdxReader.readImages(gz));
        assertOneLineNaming(e, gz);
        assertTrue(e.getMessage().contains("gzip file of"), e.getMessage());
    }

    @Test
    void idxDimensionsWhoseProductOverflowsAreRefused() throws Exception {
        Path f = tmp.resolve("overflow-idx3-ubyte");
        int big = Integer.MAX_VALUE;
        Files.write(f, idx(IdxReader.IMAGES_MAGIC, new int[] {big, big, big}, new byte[8]));
        UserException e = assertThrows(UserException.class, () -> IdxReader.readImages(f));
        assertOneLineNaming(e, f);
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    }

    @Test
    void gzippedIdxLargerThanTheFirstChunkRoundTrips() throws Exception {
        int n = 3000;
        byte[] data = new byte[n * 28 * 28];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        Path f = tmp.resolve("big-idx3-ubyte.gz");
        Files.write(f, gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {n, 28, 28}, data)));
        IdxReader.Idx read = IdxReader.read(f, IdxReader.IMAGES_MAGIC, "images", "x");
        assertTrue(data.length > DeclaredSize.FIRST_CHUNK);
        assertArrayEquals(data, read.data());
    }

    /** A 10x10 grey PNG whose header then declares w x h (IHDR patched, its CRC recomputed): the rest is truncated data. */
    static byte[] pngDeclaring(int w, int h) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(10, 10, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", out);
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).putInt(16, w).putInt(20, h);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b.array(), 12, 17);
        return b.putInt(29, (int) crc.getValue()).array();
    }

    /** A 400 KB-class PNG declaring 46000 x 46000 (2.1 gigapixels) is refused from its header, before decoding. */
    @Test
    void imageDeclaringTooManyPixelsIsRefusedBeforeDecoding() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("imgs"));
        Files.write(dir.resolve("bomb.png"), pngDeclaring(46000, 46000));
        UserException e = assertThrows(UserException.class, () -> ImageFolder.read(dir, 8, 1));
        assertOneLineNaming(e, dir.resolve("bomb.png"));
        assertTrue(e.getMessage().contains("46000x46000") && e.getMessage().contains("4096x4096"), e.getMessage());
        UserException bytes = assertThrows(UserException.class, () -> ImageFolder.load(pngDeclaring(20000, 20000), "the upload", 8, 1));
        assertTrue(bytes.getMessage().startsWith("the upload: the image is 20000x20000 pixels"), bytes.getMessage());
        // At the budget exactly, the header passes and the (truncated) data is what fails.
        UserException edge = assertThrows(UserException.class, () -> ImageFolder.load(pngDeclaring(4096, 4096), "edge", 8, 1));
        assertTrue(edge.getMessage().startsWith("edge: cannot read the image"), edge.getMessage());
    }
}
