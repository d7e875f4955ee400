package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.diffusion4j.Runtime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Toy2D;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoTest {
    @TempDir
    Path tmp;

    @Test
    void atomicWriteReplacesAndLeavesNoTemp() throws Exception {
        Path f = tmp.resolve("sub/dir/a.bin");
        AtomicFiles.write(f, new byte[] {1, 2, 3});
        AtomicFiles.write(f, out -> out.write(new byte[] {4, 5}));
        assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(f));
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            out.write(9);
            throw new IllegalStateException("boom");
        }));
        assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(f));
        assertEquals(1, f.getParent().toFile().list().length);
        Path blocked = tmp.resolve("file-not-dir");
        Files.writeString(blocked, "x");
        UserException e = assertThrows(UserException.class, () -> AtomicFiles.write(blocked.resolve("y"), new byte[1]));
        assertTrue(e.getMessage().contains("file-not-dir"), e.getMessage());
    }

    @Test
    void grayGridPixelsMatch() throws Exception {
        int n = 5, h = 3, w = 4;
        float[] v = new float[n * h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i * 37 % 256) / 255f;
        }
        v[0] = -0.5f; // clamped to 0
        v[1] = 1.7f; // clamped to 1
        Path f = tmp.resolve("grid.png");
        ImageGrid.save(f, v, new long[] {n, 1, h, w}, 3, 2, 2);
        BufferedImage img = ImageIO.read(f.toFile());
        int pad = 2, scale = 2;
        assertEquals(3 * (w * scale + pad) + pad, img.getWidth());
        assertEquals(2 * (h * scale + pad) + pad, img.getHeight());
        for (int i = 0; i < n; i++) {
            int x0 = pad + (i % 3) * (w * scale + pad);
            int y0 = pad + (i / 3) * (h * scale + pad);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float e = Math.min(1, Math.max(0, v[i * h * w + y * w + x]));
                    for (int d = 0; d < scale; d++) {
                        assertEquals(Math.round(e * 255), img.getRaster().getSample(x0 + x * scale + d,
                                y0 + y * scale + d, 0));
                    }
                }
            }
        }
        assertEquals(255, img.getRaster().getSample(0, 0, 0)); // white padding
    }

    @Test
    void rgbGridFromNDArrayAndLabelledStrip() throws Exception {
        float[] v = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = i / (float) v.length;
        }
        try (NDManager m = Runtime.newManager()) {
            NDArray x = m.create(v, new Shape(2, 3, 2, 2));
            BufferedImage img = ImageGrid.grid(x, 2, 1, 1);
            Path f = tmp.resolve("rgb.png");
            ImageGrid.writePng(f, img);
            BufferedImage back = ImageIO.read(f.toFile());
            int rgb = back.getRGB(1 + 1, 1 + 0); // image 0, pixel (x=1, y=0)
            assertEquals(Math.round(v[1] * 255), (rgb >> 16) & 0xff);
            assertEquals(Math.round(v[4 + 1] * 255), (rgb >> 8) & 0xff);
            assertEquals(Math.round(v[8 + 1] * 255), rgb & 0xff);
        }
        float[] strip = new float[4 * 28 * 28];
        BufferedImage lab = ImageGrid.labelled(strip, new long[] {4, 1, 28, 28}, 4,
                List.of("t=0", "t=50", "t=500", "t=999"), 2, 1);
        assertTrue(lab.getHeight() > 28 + 4);
        boolean dark = false;
        for (int x = 0; x < lab.getWidth(); x++) {
            for (int y = 0; y < 10; y++) {
                dark |= (lab.getRGB(x, y) & 0xff) < 128; // some text drawn in the label band
            }
        }
        assertTrue(dark);
        ImageGrid.writePng(tmp.resolve("strip.png"), lab);
    }

    @Test
    void gifHasAllFrames() throws Exception {
        List<BufferedImage> frames = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            float[] v = new float[2 * 8 * 8];
            java.util.Arrays.fill(v, k / 3f);
            frames.add(ImageGrid.grid(v, new long[] {2, 1, 8, 8}, 2, 1, 1));
        }
        Path f = tmp.resolve("anim.gif");
        GifWriter.write(f, frames, 100);
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
            r.setInput(in);
            assertEquals(4, r.getNumImages(true));
            BufferedImage last = r.read(3);
            assertEquals(255, last.getRGB(3, 3) & 0xff);
            assertEquals(0, r.read(0).getRGB(3, 3) & 0xff);
            r.dispose();
        }
        byte[] b = Files.readAllBytes(f);
        assertTrue(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1).contains("NETSCAPE2.0"));
    }

    @Test
    void plotsAreWritten() throws Exception {
        double[] steps = new double[200];
        double[] loss = new double[200];
        for (int i = 0; i < 200; i++) {
            steps[i] = i;
            loss[i] = 1.0 / (1 + i) + 0.05 * Math.sin(i);
        }
        loss[3] = Double.NaN;
        Path lf = tmp.resolve("loss.png");
        Plots.save(lf, Plots.lossChart("training loss", steps, loss, true, 0.9));
        BufferedImage li = ImageIO.read(lf.toFile());
        assertEquals(800, li.getWidth());

        float[] a = Toy2D.generate("moons", 500, 1).data();
        float[] b = Toy2D.generate("8gaussians", 500, 1).data();
        Path sf = tmp.resolve("scatter.png");
        Plots.save(sf, Plots.scatter("data vs samples",
                List.of(new Plots.Points("data", a), new Plots.Points("samples", b)), Plots.Range.square(3), 400, 400));
        assertEquals(400, ImageIO.read(sf.toFile()).getHeight());
        BufferedImage row = Plots.scatterRowSingle(List.of("t=0", "t=100", "t=999"), List.of(a, b, a),
                Plots.Range.square(3), 250);
        assertEquals(750, row.getWidth());
        Plots.save(tmp.resolve("row.png"), row);
        File[] files = tmp.toFile().listFiles();
        assertFalse(java.util.Arrays.stream(files).anyMatch(x -> x.getName().endsWith(".tmp")));
    }

    /** Thinning a long loss curve keeps at most max points: the first, the last, and a constant stride between. */
    @org.junit.jupiter.api.Test
    void thinningKeepsEndsAndAConstantStride() {
        int[][] cases = {{5, 10}, {10, 10}, {11, 10}, {300_000, 4000}, {4001, 4000}, {7999, 4000}, {8001, 4000}, {3, 2}};
        for (int[] c : cases) {
            double[] y = new double[c[0]];
            for (int i = 0; i < y.length; i++) {
                y[i] = i;
            }
            double[] t = Plots.thin(y, c[1]);
            assertTrue(t.length <= c[1], c[0] + " -> " + t.length);
            assertEquals(0, t[0]);
            assertEquals(c[0] - 1, t[t.length - 1]);
            if (c[0] <= c[1]) {
                assertEquals(c[0], t.length);
                continue;
            }
            assertTrue(t.length >= c[1] / 2, c[0] + " -> " + t.length); // not thinner than needed
            double stride = t[1] - t[0];
            for (int i = 1; i < t.length - 1; i++) {
                assertEquals(stride, t[i] - t[i - 1], 0.0);
            }
            assertTrue(t[t.length - 1] - t[t.length - 2] > 0 && t[t.length - 1] - t[t.length - 2] <= stride);
        }
    }
}
