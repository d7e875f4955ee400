package org.diffusion4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;

/**
 * Reads a folder of PNG/JPEG (also GIF/BMP) images into a DataSet of rowShape {C, side, side},
 * values in [0, 1]. Files are taken in name order, so the result is deterministic.
 *
 * <p>If the folder holds only sub-folders, each sub-folder is one class (classes numbered in
 * sub-folder name order) and its images get that label; otherwise labels are null and
 * sub-folders are ignored.
 *
 * <p>Each image is centre-cropped to a square, then resized to side x side: by exact area
 * averaging when shrinking, bilinear when enlarging (done in Java on float planes, so there is no
 * colour-space conversion). Grey images are read from their raster directly (no gamma change);
 * grayscale output from colour images uses luma 0.299 R + 0.587 G + 0.114 B. Transparent pixels are
 * composited over black.
 */
public final class ImageFolder {
    /** How many names a {@link Report} keeps of each kind. */
    public static final int NAMES_KEPT = 5;
    /**
     * Most pixels an image may declare (4096 x 4096, a 16-megapixel photo). Checked from the header
     * before the raster is decoded: a few hundred kilobytes of PNG can declare 46000 x 46000, which
     * would take gigabytes once decoded (and about 20 bytes a pixel more as float planes).
     */
    public static final long MAX_PIXELS = 4096L * 4096;

    private ImageFolder() {}

    /**
     * What reading a folder did besides reading: images that were not side x side (centre-cropped
     * and resized), and entries that were skipped (files that are not images by their name,
     * sub-folders beside images, class sub-folders without images), each with a count and the
     * first {@link #NAMES_KEPT} names in reading order.
     */
    public record Report(Path dir, int images, int side, int resized, List<String> resizedNames, int skipped,
            List<String> skippedNames) {
        public Report {
            resizedNames = List.copyOf(resizedNames);
            skippedNames = List.copyOf(skippedNames);
        }

        /** True if every image had the size asked for and nothing was skipped. */
        public boolean clean() {
            return resized == 0 && skipped == 0;
        }

        /** One line for the user, e.g. "imgs: 3 of 120 images resized to 32x32 (a.png, ...); 2 entries skipped ...". */
        public String describe() {
            StringBuilder b = new StringBuilder(dir + ": " + images + " images read");
            if (resized > 0) {
                b.append("; ").append(resized).append(" of them were not ").append(side).append('x').append(side)
                        .append(" and were centre-cropped and resized (").append(names(resizedNames, resized)).append(')');
            }
            if (skipped > 0) {
                b.append("; ").append(skipped).append(skipped == 1 ? " entry" : " entries")
                        .append(" skipped, not PNG/JPEG/GIF/BMP images (").append(names(skippedNames, skipped)).append(')');
            }
            return b.toString();
        }

        private static String names(List<String> kept, int total) {
            return String.join(", ", kept) + (total > kept.size() ? ", ..." : "");
        }
    }

    /** A folder's images and the report of what was resized or skipped. */
    public record Result(DataSet data, Report report) {}

    /** Reads all images of {@code dir}; channels is 1 (grayscale) or 3 (RGB). See {@link #readReporting}. */
    public static DataSet read(Path dir, int side, int channels) {
        return readReporting(dir, side, channels).data();
    }

    /** Reads all images of {@code dir} as {@link #read} does, with the report of what was resized or skipped. */
    public static Result readReporting(Path dir, int side, int channels) {
        if (channels != 1 && channels != 3) {
            throw new InvalidArgumentException("imageChannels", channels, "must be 1 (grayscale) or 3 (RGB)");
        }
        if (side <= 0 || side > 4096) {
            throw new InvalidArgumentException("imageSize", side, "must be between 1 and 4096");
        }
        if (!Files.isDirectory(dir)) {
            throw new UserException(dir + ": no such folder; give a folder of PNG or JPEG images");
        }
        List<Path> entries = list(dir);
        List<Path> images = entries.stream().filter(ImageFolder::isImage).toList();
        List<Path> subdirs = entries.stream().filter(Files::isDirectory).toList();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = null;
        List<String> classes = List.of();
        List<String> skipped = new ArrayList<>();
        if (images.isEmpty() && !subdirs.isEmpty()) {
            labels = new ArrayList<>();
            classes = new ArrayList<>();
            entries.stream().filter(p -> !Files.isDirectory(p)).forEach(p -> skipped.add(p.getFileName().toString()));
            for (Path sub : subdirs) {
                List<Path> inSub = list(sub);
                List<Path> imgs = inSub.stream().filter(ImageFolder::isImage).toList();
                inSub.stream().filter(p -> !isImage(p)).forEach(p -> skipped.add(dir.relativize(p).toString()));
                if (imgs.isEmpty()) {
                    skipped.add(sub.getFileName() + "/");
                    continue;
                }
                int cls = classes.size();
                classes.add(sub.getFileName().toString());
                for (Path p : imgs) {
                    files.add(p);
                    labels.add(cls);
                }
            }
        } else {
            files.addAll(images);
            entries.stream().filter(p -> !isImage(p)).forEach(p -> skipped.add(p.getFileName()
                    + (Files.isDirectory(p) ? "/" : "")));
        }
        if (files.isEmpty()) {
            throw new UserException(dir + ": no PNG or JPEG images found (nor sub-folders of them); "
                    + "put .png/.jpg files in the folder");
        }
        int rs = channels * side * side;
        float[] data = new float[files.size() * rs];
        List<String> resized = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            BufferedImage img = readImage(files.get(i));
            if (img.getWidth() != side || img.getHeight() != side) {
                resized.add(dir.relativize(files.get(i)).toString());
            }
            float[] row = resize(planes(img, channels), img.getWidth(), img.getHeight(), side);
            System.arraycopy(row, 0, data, i * rs, rs);
        }
        int[] l = labels == null ? null : labels.stream().mapToInt(Integer::intValue).toArray();
        DataSet d = new DataSet(dir.getFileName() == null ? dir.toString() : dir.getFileName().toString(), data,
                files.size(), new long[] {channels, side, side}, l, l == null ? 0 : classes.size());
        return new Result(d, new Report(dir, files.size(), side, resized.size(), first(resized), skipped.size(), first(skipped)));
    }

    private static List<String> first(List<String> names) {
        return names.subList(0, Math.min(NAMES_KEPT, names.size()));
    }

    /** Loads one image as a [C, side, side] float array in [0, 1]. */
    public static float[] load(Path file, int side, int channels) {
        BufferedImage img = readImage(file);
        return resize(planes(img, channels), img.getWidth(), img.getHeight(), side);
    }

    /**
     * Decodes image bytes (PNG, JPEG, GIF or BMP) as {@link #load(Path, int, int)} does; errors
     * name the image {@code name} (such as "the upload"), not a file.
     */
    public static float[] load(byte[] data, String name, int side, int channels) {
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            img = decode(in, name);
        } catch (IOException e) {
            throw new UserException(name + ": cannot read the image (" + IdxReader.oneLine(e) + ")");
        }
        return resize(planes(img, channels), img.getWidth(), img.getHeight(), side);
    }

    private static BufferedImage readImage(Path file) {
        // ImageIO says "Can't create cache file!" for a missing file; say what is wrong
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new UserException(file + ": no such image file, or it cannot be read");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new UserException(file + ": cannot open the image; check that it exists and can be read");
            }
            return decode(in, file.toString());
        } catch (IOException e) {
            throw new UserException(file + ": cannot read the image (" + IdxReader.oneLine(e) + "); remove or replace the file");
        }
    }

    /**
     * Reads the width and height from the header, refuses more than {@link #MAX_PIXELS}, and only
     * then decodes the raster (ImageIO.read would allocate whatever the header declares).
     */
    private static BufferedImage decode(ImageInputStream in, String name) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new UserException(name + ": not a readable image (PNG, JPEG, GIF or BMP); remove it or convert it to PNG");
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            long w = reader.getWidth(0);
            long h = reader.getHeight(0);
            if (w * h > MAX_PIXELS) {
                throw new UserException(name + ": the image is " + w + "x" + h + " pixels, more than the " + MAX_PIXELS
                        + " (4096x4096) this reads; shrink it first");
            }
            BufferedImage img = reader.read(0);
            if (img == null) {
                throw new UserException(name + ": not a readable image; remove it or convert it to PNG");
            }
            return img;
        } catch (IOException | RuntimeException e) {
            if (e instanceof UserException u) {
                throw u;
            }
            throw unreadable(name, e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * Why an image could not be decoded. ImageIO's PNG reader wraps whatever it caught, an
     * OutOfMemoryError too, as "Caught exception during read: " with the reason in its cause.
     */
    static UserException unreadable(String file, Exception e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof OutOfMemoryError) {
                return new UserException(file + ": out of memory while decoding the image (" + IdxReader.oneLine(c)
                        + "); give Java more memory (DIFFUSION4J_JAVA_OPTS=-Xmx8g) or remove the file", e);
            }
        }
        return new UserException(file + ": cannot read the image (" + IdxReader.oneLine(e) + "); remove or replace the file", e);
    }

    /** Converts an image to C float planes [C][H*W] in [0, 1]. */
    static float[][] planes(BufferedImage img, int channels) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        boolean gray = img.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY
                && bands <= 2;
        float[][] out = new float[channels][w * h];
        if (gray) {
            int bits = img.getColorModel().getComponentSize(0);
            float max = (float) ((1L << bits) - 1);
            float[] alpha = bands == 2 ? r.getSamples(0, 0, w, h, 1, (float[]) null) : null;
            float[] g = r.getSamples(0, 0, w, h, 0, (float[]) null);
            for (int i = 0; i < g.length; i++) {
                float v = g[i] / max;
                if (alpha != null) {
                    v *= alpha[i] / max;
                }
                for (int c = 0; c < channels; c++) {
                    out[c][i] = v;
                }
            }
            return out;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        boolean hasAlpha = img.getColorModel().hasAlpha();
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            float a = hasAlpha ? (p >>> 24) / 255f : 1f;
            float rr = ((p >> 16) & 0xff) / 255f * a;
            float gg = ((p >> 8) & 0xff) / 255f * a;
            float bb = (p & 0xff) / 255f * a;
            if (channels == 1) {
                out[0][i] = 0.299f * rr + 0.587f * gg + 0.114f * bb;
            } else {
                out[0][i] = rr;
                out[1][i] = gg;
                out[2][i] = bb;
            }
        }
        return out;
    }

    /** Centre-crops planes of w x h to a square and resizes to side x side; returns [C*side*side]. */
    static float[] resize(float[][] planes, int w, int h, int side) {
        int s = Math.min(w, h);
        int x0 = (w - s) / 2;
        int y0 = (h - s) / 2;
        Weights wx = weights(s, side);
        float[] out = new float[planes.length * side * side];
        float[] tmp = new float[s * side]; // rows of the crop, resampled horizontally
        for (int c = 0; c < planes.length; c++) {
            float[] p = planes[c];
            for (int y = 0; y < s; y++) {
                int rowOff = (y0 + y) * w + x0;
                for (int j = 0; j < side; j++) {
                    float acc = 0;
                    for (int k = wx.start[j]; k < wx.start[j + 1]; k++) {
                        acc += p[rowOff + wx.idx[k]] * wx.w[k];
                    }
                    tmp[y * side + j] = acc;
                }
            }
            int off = c * side * side;
            for (int i = 0; i < side; i++) {
                for (int j = 0; j < side; j++) {
                    float acc = 0;
                    for (int k = wx.start[i]; k < wx.start[i + 1]; k++) {
                        acc += tmp[wx.idx[k] * side + j] * wx.w[k];
                    }
                    out[off + i * side + j] = Math.min(1f, Math.max(0f, acc));
                }
            }
        }
        return out;
    }

    /** Sparse 1-D resampling weights from n source samples to m outputs. */
    private record Weights(int[] start, int[] idx, float[] w) {}

    private static Weights weights(int n, int m) {
        List<int[]> idx = new ArrayList<>();
        List<float[]> wts = new ArrayList<>();
        int[] start = new int[m + 1];
        int count = 0;
        double scale = (double) n / m;
        for (int j = 0; j < m; j++) {
            start[j] = count;
            if (n >= m) { // area average over [j*scale, (j+1)*scale)
                double a = j * scale;
                double b = (j + 1) * scale;
                for (int k = (int) Math.floor(a); k < Math.min(n, (int) Math.ceil(b)); k++) {
                    double ov = Math.min(b, k + 1) - Math.max(a, k);
                    if (ov > 1e-9) {
                        idx.add(new int[] {k});
                        wts.add(new float[] {(float) (ov / scale)});
                        count++;
                    }
                }
            } else { // bilinear, pixel centres aligned
                double x = (j + 0.5) * scale - 0.5;
                int k0 = (int) Math.floor(x);
                double f = x - k0;
                int a = Math.max(0, Math.min(n - 1, k0));
                int b = Math.max(0, Math.min(n - 1, k0 + 1));
                idx.add(new int[] {a});
                wts.add(new float[] {(float) (1 - f)});
                idx.add(new int[] {b});
                wts.add(new float[] {(float) f});
                count += 2;
            }
        }
        start[m] = count;
        int[] ii = new int[count];
        float[] ww = new float[count];
        for (int k = 0; k < count; k++) {
            ii[k] = idx.get(k)[0];
            ww[k] = wts.get(k)[0];
        }
        return new Weights(start, ii, ww);
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && !n.startsWith(".") && (n.endsWith(".png") || n.endsWith(".jpg")
                || n.endsWith(".jpeg") || n.endsWith(".gif") || n.endsWith(".bmp"));
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UserException(dir + ": cannot list the folder (" + IdxReader.oneLine(e)
                    + "); check its permissions");
        }
    }
}
