package org.diffusion4j.io;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Animated GIFs with the JDK's own GIF writer: every frame gets the same delay (GIF stores it in
 * hundredths of a second) except optionally the last, and the NETSCAPE2.0 extension makes the
 * animation loop forever. Frames are converted to RGB and palettised by the writer (at most 256
 * colours per frame); they must all have the same size. The file is written atomically.
 */
public final class GifWriter {
    static {
        Headless.ensure();
    }

    private GifWriter() {}

    /** Writes an endlessly looping GIF with {@code delayMs} between frames. */
    public static void write(Path file, List<BufferedImage> frames, int delayMs) {
        write(file, frames, delayMs, delayMs, true);
    }

    /**
     * @param lastDelayMs how long the last frame stays (e.g. longer, to show the final result)
     * @param loop loop forever, or play once
     */
    public static void write(Path file, List<BufferedImage> frames, int delayMs, int lastDelayMs, boolean loop) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no frames");
        }
        int w = frames.get(0).getWidth();
        int h = frames.get(0).getHeight();
        for (BufferedImage f : frames) {
            if (f.getWidth() != w || f.getHeight() != h) {
                throw new IllegalArgumentException("GIF frames differ in size: " + w + "x" + h + " vs "
                        + f.getWidth() + "x" + f.getHeight());
            }
        }
        AtomicFiles.write(file, out -> {
            Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("gif");
            if (!it.hasNext()) {
                throw new IOException("this Java has no GIF writer");
            }
            ImageWriter writer = it.next();
            // in memory, not through ImageIO's cache file (see ImageGrid.pngBytes)
            try (ImageOutputStream ios = new javax.imageio.stream.MemoryCacheImageOutputStream(out)) {
                writer.setOutput(ios);
                ImageWriteParam param = writer.getDefaultWriteParam();
                ImageTypeSpecifier type = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_INT_RGB);
                writer.prepareWriteSequence(null);
                for (int i = 0; i < frames.size(); i++) {
                    int delay = i == frames.size() - 1 ? lastDelayMs : delayMs;
                    IIOMetadata meta = writer.getDefaultImageMetadata(type, param);
                    configure(meta, delay, loop && i == 0);
                    writer.writeToSequence(new IIOImage(rgb(frames.get(i)), null, meta), param);
                }
                writer.endWriteSequence();
                ios.flush();
            } finally {
                writer.dispose();
            }
        });
    }

    private static void configure(IIOMetadata meta, int delayMs, boolean loopExtension) throws IOException {
        String fmt = meta.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(Math.max(0, Math.round(delayMs / 10f))));
        gce.setAttribute("transparentColorIndex", "0");
        if (loopExtension) {
            IIOMetadataNode apps = child(root, "ApplicationExtensions");
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[] {1, 0, 0}); // sub-block 1, loop count 0 = forever
            apps.appendChild(app);
        }
        meta.setFromTree(fmt, root);
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }

    private static BufferedImage rgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            // copy grey samples directly (drawImage would apply a gamma change)
            int[] s = img.getRaster().getSamples(0, 0, img.getWidth(), img.getHeight(), 0, (int[]) null);
            int[] p = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                p[i] = s[i] << 16 | s[i] << 8 | s[i];
            }
            out.setRGB(0, 0, img.getWidth(), img.getHeight(), p, 0, img.getWidth());
            return out;
        }
        Graphics2D g = out.createGraphics();
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return out;
    }
}
