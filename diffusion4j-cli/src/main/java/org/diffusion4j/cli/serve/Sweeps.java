package org.diffusion4j.cli.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.io.GifWriter;
import org.diffusion4j.io.ImageGrid;

/** The pictures of a sweep (one labelled row per value) and of a job's trajectory (frames, GIF). */
final class Sweeps {
    /** Side a single sample of a trajectory is drawn at, about. */
    static final int SAMPLE_SIDE = 112;
    /** GIF: time per frame and on the last one, in milliseconds. */
    static final int GIF_DELAY_MS = 150;
    static final int GIF_LAST_MS = 1500;

    private Sweeps() {}

    /** One row of samples per value, its label on the left: the sweep drawn as one grid (RGB). */
    static BufferedImage picture(DdpmSpec spec, NDList rows, List<String> labels) {
        BufferedImage[] pics = new BufferedImage[rows.size()];
        int rowW = 0;
        int height = 0;
        for (int i = 0; i < rows.size(); i++) {
            NDArray x = rows.get(i);
            long[] shape = x.getShape().getShape();
            pics[i] = ImageGrid.grid(Pictures.toDisplay(spec, x), shape, (int) shape[0], 2, 2);
            rowW = Math.max(rowW, pics[i].getWidth());
            height += pics[i].getHeight();
        }
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        int labelW = 0;
        for (String s : labels) {
            labelW = Math.max(labelW, fm.stringWidth(s));
        }
        pg.dispose();
        labelW += 12;
        BufferedImage out = new BufferedImage(labelW + rowW, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(font);
        g.setColor(Color.BLACK);
        int y = 0;
        for (int i = 0; i < pics.length; i++) {
            copy(pics[i], out, labelW, y);
            g.drawString(labels.get(i), 6, y + (pics[i].getHeight() + fm.getAscent()) / 2);
            y += pics[i].getHeight();
        }
        g.dispose();
        return out;
    }

    /** Copies pixels as they are (drawImage would change the grey levels of a grey image by a gamma). */
    private static void copy(BufferedImage from, BufferedImage to, int x0, int y0) {
        for (int y = 0; y < from.getHeight(); y++) {
            for (int x = 0; x < from.getWidth(); x++) {
                int rgb;
                if (from.getType() == BufferedImage.TYPE_BYTE_GRAY) {
                    int s = from.getRaster().getSample(x, y, 0);
                    rgb = s << 16 | s << 8 | s;
                } else {
                    rgb = from.getRGB(x, y) & 0xFFFFFF;
                }
                to.setRGB(x0 + x, y0 + y, rgb);
            }
        }
    }

    /**
     * A kept frame as a picture: all samples as the Draw view's grid ({@code k} < 0), or sample
     * {@code k} alone, drawn about {@link #SAMPLE_SIDE} pixels high. {@code shape}: one sample's [C, H, W].
     */
    static BufferedImage frame(byte[] values, long[] shape, int k) {
        int size = (int) (shape[0] * shape[1] * shape[2]);
        int n = values.length / size;
        int from = k < 0 ? 0 : k * size;
        int count = k < 0 ? n : 1;
        float[] v = new float[count * size];
        for (int i = 0; i < v.length; i++) {
            v[i] = (values[from + i] & 0xFF) / 255f;
        }
        long[] s = {count, shape[0], shape[1], shape[2]};
        if (k < 0) {
            return ImageGrid.grid(v, s, (int) Math.ceil(Math.sqrt(n)), 2, 2);
        }
        return ImageGrid.grid(v, s, 1, 0, (int) Math.max(1, SAMPLE_SIDE / shape[1]));
    }

    /** Two pictures of the same kind side by side, 4 white pixels apart. */
    static BufferedImage beside(BufferedImage a, BufferedImage b) {
        int gap = 4;
        BufferedImage out = new BufferedImage(a.getWidth() + gap + b.getWidth(), Math.max(a.getHeight(), b.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                out.setRGB(x, y, 0xFFFFFF);
            }
        }
        copy(a, out, 0, 0);
        copy(b, out, a.getWidth() + gap, 0);
        return out;
    }

    /** An endlessly looping GIF of the frames, written by the JDK's own GIF writer (through a temporary file). */
    static byte[] gif(List<BufferedImage> frames) throws IOException {
        Path tmp = Files.createTempFile("diffusion4j-serve-", ".gif");
        try {
            GifWriter.write(tmp, frames, GIF_DELAY_MS, GIF_LAST_MS, true);
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
