package org.diffusion4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Tiles images [N, C, H, W] (values in [0, 1], clamped; C = 1 grey or 3 RGB; [N, H, W] means
 * C = 1) into one picture with {@code nrow} images per row (as torchvision's make_grid), a
 * {@code padding}-pixel border around every cell and an optional integer upscale (nearest
 * neighbour). The padding is white. A pixel value v becomes round(v * 255).
 *
 * <p>{@link #labelled} adds a text label above cells, e.g. "t=0", "t=50" for x_t strips.
 */
public final class ImageGrid {
    static {
        Headless.ensure();
    }

    /** Padding colour, as a value in [0, 1]. */
    public static final float PAD_VALUE = 1f;

    private ImageGrid() {}

    /** A grid of images [N, C, H, W] or [N, H, W]. */
    public static BufferedImage grid(float[] data, long[] shape, int nrow, int padding, int scale) {
        Dims d = dims(data, shape);
        int cols = Math.max(1, Math.min(nrow, d.n));
        int rows = (d.n + cols - 1) / cols;
        int cw = d.w * scale;
        int ch = d.h * scale;
        int width = cols * (cw + padding) + padding;
        int height = rows * (ch + padding) + padding;
        BufferedImage img = new BufferedImage(width, height,
                d.c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        fill(img, byteOf(PAD_VALUE));
        WritableRaster r = img.getRaster();
        for (int i = 0; i < d.n; i++) {
            int x0 = padding + (i % cols) * (cw + padding);
            int y0 = padding + (i / cols) * (ch + padding);
            drawCell(img, r, data, d, i, x0, y0, scale);
        }
        return img;
    }

    /** A grid of an NDArray [N, C, H, W] or [N, H, W] with values in [0, 1]. */
    public static BufferedImage grid(NDArray x, int nrow, int padding, int scale) {
        return grid(floats(x), x.getShape().getShape(), nrow, padding, scale);
    }

    /**
     * A grid with text labels. If {@code labels} has one entry per column ({@code nrow}), each is
     * written once above its column; if it has one per image (N), each above its own cell. Cells
     * are widened if a label is wider than the image. Always an RGB image. Null entries are blank.
     */
    public static BufferedImage labelled(float[] data, long[] shape, int nrow, List<String> labels, int padding,
            int scale) {
        Dims d = dims(data, shape);
        int cols = Math.max(1, Math.min(nrow, d.n));
        int rows = (d.n + cols - 1) / cols;
        boolean perColumn = labels.size() == cols;
        if (!perColumn && labels.size() != d.n) {
            throw new IllegalArgumentException(labels.size() + " labels for " + d.n + " images in " + cols
                    + " columns; give one per column or one per image");
        }
        int cw = d.w * scale;
        int ch = d.h * scale;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        int textW = 0;
        for (String s : labels) {
            if (s != null) {
                textW = Math.max(textW, fm.stringWidth(s));
            }
        }
        pg.dispose();
        int cellW = Math.max(cw, textW + 2);
        int labelH = fm.getAscent() + fm.getDescent() + 2;
        int rowLabel = perColumn ? 0 : labelH; // label height inside every row
        int top = perColumn ? labelH : 0;
        int width = cols * (cellW + padding) + padding;
        int height = top + rows * (ch + rowLabel + padding) + padding;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        fill(img, byteOf(PAD_VALUE));
        WritableRaster r = img.getRaster();
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(font);
        g.setColor(Color.BLACK);
        for (int i = 0; i < d.n; i++) {
            int cx = padding + (i % cols) * (cellW + padding);
            int cy = top + padding + (i / cols) * (ch + rowLabel + padding);
            drawCell(img, r, data, d, i, cx + (cellW - cw) / 2, cy + rowLabel, scale);
            String s = perColumn ? (i < cols ? labels.get(i) : null) : labels.get(i);
            if (s != null) {
                int ty = perColumn ? padding / 2 + fm.getAscent() + 1 : cy + fm.getAscent() + 1;
                g.drawString(s, cx + (cellW - fm.stringWidth(s)) / 2, ty);
            }
        }
        g.dispose();
        return img;
    }

    /** {@link #labelled(float[], long[], int, List, int, int)} for an NDArray. */
    public static BufferedImage labelled(NDArray x, int nrow, List<String> labels, int padding, int scale) {
        return labelled(floats(x), x.getShape().getShape(), nrow, labels, padding, scale);
    }

    /** Writes an image as PNG, atomically. */
    public static void writePng(Path file, BufferedImage img) {
        AtomicFiles.write(file, pngBytes(img));
    }

    /**
     * The image as PNG bytes, encoded in memory. ImageIO's own write to a stream goes through a
     * cache file whose stream, when the write fails (a full disk), is left to a shutdown hook that
     * then prints a stack trace; in memory nothing is left open, and only the file write can fail.
     */
    public static byte[] pngBytes(BufferedImage img) {
        java.util.Iterator<javax.imageio.ImageWriter> it = ImageIO.getImageWritersByFormatName("png");
        if (!it.hasNext()) {
            throw new IllegalStateException("this Java has no PNG writer");
        }
        javax.imageio.ImageWriter writer = it.next();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream ios = new javax.imageio.stream.MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(ios);
            writer.write(img);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("encoding a PNG in memory failed", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** Grid + {@link #writePng}; returns the image. */
    public static BufferedImage save(Path file, float[] data, long[] shape, int nrow, int padding, int scale) {
        BufferedImage img = grid(data, shape, nrow, padding, scale);
        writePng(file, img);
        return img;
    }

    /** The values that images of an array span: black at the low end, white at the high end. */
    public enum Range {
        /** Pixels in [0, 1], as data sets and VAEs hold them. */
        ZERO_ONE,
        /** Pixels in [-1, 1], as a DDPM's samples are. */
        MINUS_ONE_ONE
    }

    /**
     * Writes images x [N, C, H, W] (or [N, H, W]) whose pixels span {@code range} as a PNG grid,
     * ceil(sqrt(N)) per row, drawn twice their size with 2 pixels between them; returns the image.
     */
    public static BufferedImage save(Path file, NDArray x, Range range) {
        return save(file, x, range, (int) Math.ceil(Math.sqrt(x.getShape().get(0))));
    }

    /** As {@link #save(Path, NDArray, Range)} with {@code nrow} images per row. */
    public static BufferedImage save(Path file, NDArray x, Range range, int nrow) {
        BufferedImage img = grid(x, range, nrow);
        writePng(file, img);
        return img;
    }

    /** The grid {@link #save(Path, NDArray, Range, int)} writes. */
    public static BufferedImage grid(NDArray x, Range range, int nrow) {
        float[] v = x.toType(DataType.FLOAT32, false).toFloatArray();
        return grid(range == Range.MINUS_ONE_ONE ? fromMinusOneOne(v) : v, x.getShape().getShape(), nrow, 2, 2);
    }

    /** A copy of x mapped from [-1, 1] to [0, 1]: (x + 1) / 2. */
    public static float[] fromMinusOneOne(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] + 1f) * 0.5f;
        }
        return y;
    }

    private record Dims(int n, int c, int h, int w) {}

    private static Dims dims(float[] data, long[] shape) {
        Dims d;
        if (shape.length == 4) {
            d = new Dims((int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3]);
        } else if (shape.length == 3) {
            d = new Dims((int) shape[0], 1, (int) shape[1], (int) shape[2]);
        } else {
            throw new IllegalArgumentException("image shape must be [N, C, H, W] or [N, H, W], not "
                    + java.util.Arrays.toString(shape));
        }
        if (d.c != 1 && d.c != 3) {
            // not a picture (an autoencoder's latents, say): each channel becomes a grayscale tile
            d = new Dims(d.n * d.c, 1, d.h, d.w);
        }
        if ((long) d.n * d.c * d.h * d.w != data.length) {
            throw new IllegalArgumentException(data.length + " values do not fit shape "
                    + java.util.Arrays.toString(shape));
        }
        return d;
    }

    private static void drawCell(BufferedImage img, WritableRaster r, float[] data, Dims d, int i, int x0,
            int y0, int scale) {
        int plane = d.h * d.w;
        int base = i * d.c * plane;
        boolean grayImage = img.getType() == BufferedImage.TYPE_BYTE_GRAY;
        for (int y = 0; y < d.h; y++) {
            for (int x = 0; x < d.w; x++) {
                int p = base + y * d.w + x;
                int v0 = byteOf(data[p]);
                int rgb;
                if (d.c == 1) {
                    rgb = v0 << 16 | v0 << 8 | v0;
                } else {
                    rgb = v0 << 16 | byteOf(data[p + plane]) << 8 | byteOf(data[p + 2 * plane]);
                }
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        int px = x0 + x * scale + dx;
                        int py = y0 + y * scale + dy;
                        if (grayImage) {
                            r.setSample(px, py, 0, v0);
                        } else {
                            img.setRGB(px, py, rgb);
                        }
                    }
                }
            }
        }
    }

    private static void fill(BufferedImage img, int v) {
        WritableRaster r = img.getRaster();
        int[] row = new int[img.getWidth() * r.getNumBands()];
        java.util.Arrays.fill(row, v);
        for (int y = 0; y < img.getHeight(); y++) {
            r.setPixels(0, y, img.getWidth(), 1, row);
        }
    }

    static int byteOf(float v) {
        if (!(v > 0f)) {
            return 0; // also NaN
        }
        if (v >= 1f) {
            return 255;
        }
        return Math.round(v * 255f);
    }

    static float[] floats(NDArray x) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x.toFloatArray();
        }
        try (NDArray f = x.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }
}
