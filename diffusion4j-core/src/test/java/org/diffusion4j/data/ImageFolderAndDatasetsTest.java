package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderAndDatasetsTest {
    @TempDir
    Path tmp;

    static void png(Path p, int w, int h, int rgb) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        Files.createDirectories(p.getParent());
        ImageIO.write(img, "png", p.toFile());
    }

    @Test
    void flatFolderGrayAndRgb() throws Exception {
        Path dir = tmp.resolve("imgs");
        png(dir.resolve("b.png"), 8, 8, 0xFF0000);
        png(dir.resolve("a.png"), 16, 12, 0x808080);
        BufferedImage g = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(0, 0, 0, 51);
        ImageIO.write(g, "png", dir.resolve("c.png").toFile());
        DataSet rgb = ImageFolder.read(dir, 4, 3);
        assertEquals(3, rgb.size());
        assertArrayEquals(new long[] {3, 4, 4}, rgb.rowShape());
        assertNull(rgb.labels());
        assertEquals(128 / 255f, rgb.data()[0], 1e-5); // a.png first (sorted)
        float[] red = rgb.row(1);
        assertEquals(1f, red[0], 1e-5);
        assertEquals(0f, red[16], 1e-5);
        DataSet gray = ImageFolder.read(dir, 2, 1);
        assertEquals(0.299f, gray.row(1)[0], 1e-4);
        // c.png: 2x2 area average of the top-left block = 51/255/4, raw grey samples (no gamma)
        assertEquals(51 / 255f / 4, gray.row(2)[0], 1e-5);
        DataSet viaSpec = Datasets.open(dir.toString(), new Datasets.Options().imageSize(4).channels(3));
        assertArrayEquals(rgb.data(), viaSpec.data());
    }

    @Test
    void classFoldersAndErrors() throws Exception {
        Path dir = tmp.resolve("classes");
        png(dir.resolve("dog/1.png"), 4, 4, 0);
        png(dir.resolve("cat/1.png"), 4, 4, 0);
        png(dir.resolve("cat/2.jpg"), 4, 4, 0);
        DataSet d = ImageFolder.read(dir, 4, 1);
        assertArrayEquals(new int[] {0, 0, 1}, d.labels());
        assertEquals(2, d.numClasses());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        UserException e = assertThrows(UserException.class, () -> ImageFolder.read(empty, 8, 1));
        assertTrue(e.getMessage().contains(empty.toString()));
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("x.png"), "not a png");
        e = assertThrows(UserException.class, () -> ImageFolder.read(broken, 8, 1));
        assertTrue(e.getMessage().contains("x.png"), e.getMessage());
    }

    @Test
    void specs() throws Exception {
        assertEquals(500, Datasets.open("toy:moons", new Datasets.Options().n(500).seed(3)).size());
        assertEquals(10000, Datasets.open("mnist:test").size());
        UserException e = assertThrows(UserException.class, () -> Datasets.open("nonsense-thing"));
        assertTrue(e.getMessage().contains("mnist:train") && e.getMessage().contains("toy:"), e.getMessage());
        // IDX file with labels found as sibling
        Path img = tmp.resolve("foo-images-idx3-ubyte");
        Path lab = tmp.resolve("foo-labels-idx1-ubyte");
        Files.write(img, IdxReaderTest.idx(IdxReader.IMAGES_MAGIC, new int[] {2, 1, 1}, new byte[] {0, 1}));
        Files.write(lab, IdxReaderTest.idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {4, 2}));
        assertArrayEquals(new int[] {4, 2}, Datasets.open(img.toString()).labels());
        Path npy = tmp.resolve("x.npy");
        Npy.write(npy, new float[6], new long[] {3, 2});
        assertEquals(3, Datasets.open(npy.toString()).size());
        Path csv = tmp.resolve("x.csv");
        Files.writeString(csv, "1,2\n3,4\n");
        assertEquals(2, Datasets.open(csv.toString()).size());
        Path other = tmp.resolve("x.bin");
        Files.writeString(other, "garbage");
        assertThrows(UserException.class, () -> Datasets.open(other.toString()));
    }
}
