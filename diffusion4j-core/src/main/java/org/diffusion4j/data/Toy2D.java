package org.diffusion4j.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.diffusion4j.UserException;

/**
 * Seeded 2-D point clouds for toy diffusion demos (rowShape {2}), and a reader for CSV files of
 * 2-D points.
 *
 * <p>Each generator first draws points with the familiar recipe of the FFJORD / "tiny diffusion"
 * toy sets (sklearn-style, but with random rather than evenly spaced angles so any prefix is a fair
 * sample), then standardises with fixed constants: {@code x' = (x - c) / s}, with one centre c and
 * one isotropic scale s per generator, measured once on 10^6 points so that the result has mean
 * about 0 and per-coordinate RMS about 1 (the constants do not depend on n or the seed, so shapes
 * are never distorted and sets of different sizes are comparable):
 * <ul>
 *   <li>{@code moons}: half the points (label 0) at angle a~U(0,π) on (cos a, sin a), half (label
 *       1) on (1 - cos a, 0.5 - sin a); plus N(0, 0.1²) noise; then ×2 + (-1, -0.2).</li>
 *   <li>{@code swissroll}: t = 1.5π(1 + 2u), u~U(0,1); (t cos t, t sin t) + N(0, 1) noise; then /5.
 *       No labels.</li>
 *   <li>{@code 8gaussians}: centre k~U{0..7} at radius 4 and angle kπ/4; point = centre +
 *       N(0, 0.5²); then /1.414. Label = k.</li>
 *   <li>{@code checkerboard}: x1~U(-2,2); x2 = U(0,1) - 2·B + (floor(x1) mod 2), B~U{0,1}; then ×2.
 *       No labels.</li>
 *   <li>{@code circles}: outer circle radius 1 (label 0) and inner radius 0.5 (label 1), half the
 *       points each, random angles; plus N(0, 0.08²) noise; then ×3.</li>
 * </ul>
 * The constants (cx, cy, s): moons (0, 0.3, 1.423), swissroll (0.4, 0.042, 1.372), 8gaussians
 * (0, 0, 2.031), checkerboard (0, 0, 2.310), circles (0, 0, 1.694). Everything is drawn from one {@link SplittableRandom}(seed), so (name, n, seed) fixes the data.
 */
public final class Toy2D {
    /** The generator names. */
    public static final List<String> NAMES = List.of("moons", "swissroll", "8gaussians", "checkerboard", "circles");

    // standardisation constants {cx, cy, s} (see class comment)
    private static final double[] MOONS = {0.0, 0.3, 1.423};
    private static final double[] SWISSROLL = {0.4, 0.042, 1.372};
    private static final double[] GAUSS8 = {0.0, 0.0, 2.031};
    private static final double[] CHECKER = {0.0, 0.0, 2.310};
    private static final double[] CIRCLES = {0.0, 0.0, 1.694};

    private Toy2D() {}

    /** Generates {@code n} points of the named distribution (see {@link #NAMES}). */
    public static DataSet generate(String name, int n, long seed) {
        if (n <= 0) {
            throw new UserException("toy:" + name + ": number of points must be positive (got " + n + ")");
        }
        switch (name.toLowerCase(Locale.ROOT)) {
            case "moons": return moons(n, seed);
            case "swissroll": case "swiss_roll": case "swiss-roll": return swissroll(n, seed);
            case "8gaussians": case "gaussians": return eightGaussians(n, seed);
            case "checkerboard": return checkerboard(n, seed);
            case "circles": return circles(n, seed);
            default:
                throw new UserException("toy:" + name + ": unknown toy data set; use one of toy:"
                        + String.join(", toy:", NAMES));
        }
    }

    public static DataSet moons(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] xy = new float[2 * n];
        int[] lab = new int[n];
        int outer = n - n / 2;
        for (int i = 0; i < n; i++) {
            double a = Math.PI * r.nextDouble();
            double x;
            double y;
            if (i < outer) {
                x = Math.cos(a);
                y = Math.sin(a);
            } else {
                x = 1 - Math.cos(a);
                y = 0.5 - Math.sin(a);
                lab[i] = 1;
            }
            x += 0.1 * gauss(r);
            y += 0.1 * gauss(r);
            put(xy, i, x * 2 - 1, y * 2 - 0.2, MOONS);
        }
        return new DataSet("toy:moons", xy, n, new long[] {2}, lab, 2);
    }

    public static DataSet swissroll(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] xy = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double t = 1.5 * Math.PI * (1 + 2 * r.nextDouble());
            double x = t * Math.cos(t) + gauss(r);
            double y = t * Math.sin(t) + gauss(r);
            put(xy, i, x / 5, y / 5, SWISSROLL);
        }
        return new DataSet("toy:swissroll", xy, n, new long[] {2});
    }

    public static DataSet eightGaussians(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] xy = new float[2 * n];
        int[] lab = new int[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(8);
            double a = k * Math.PI / 4;
            double x = 4 * Math.cos(a) + 0.5 * gauss(r);
            double y = 4 * Math.sin(a) + 0.5 * gauss(r);
            lab[i] = k;
            put(xy, i, x / 1.414, y / 1.414, GAUSS8);
        }
        return new DataSet("toy:8gaussians", xy, n, new long[] {2}, lab, 8);
    }

    public static DataSet checkerboard(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] xy = new float[2 * n];
        for (int i = 0; i < n; i++) {
            double x1 = r.nextDouble() * 4 - 2;
            double x2 = r.nextDouble() - r.nextInt(2) * 2 + Math.floorMod((int) Math.floor(x1), 2);
            put(xy, i, x1 * 2, x2 * 2, CHECKER);
        }
        return new DataSet("toy:checkerboard", xy, n, new long[] {2});
    }

    public static DataSet circles(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] xy = new float[2 * n];
        int[] lab = new int[n];
        int outer = n - n / 2;
        for (int i = 0; i < n; i++) {
            double a = 2 * Math.PI * r.nextDouble();
            double rad = i < outer ? 1.0 : 0.5;
            lab[i] = i < outer ? 0 : 1;
            double x = rad * Math.cos(a) + 0.08 * gauss(r);
            double y = rad * Math.sin(a) + 0.08 * gauss(r);
            put(xy, i, x * 3, y * 3, CIRCLES);
        }
        return new DataSet("toy:circles", xy, n, new long[] {2}, lab, 2);
    }

    private static void put(float[] xy, int i, double x, double y, double[] c) {
        xy[2 * i] = (float) ((x - c[0]) / c[2]);
        xy[2 * i + 1] = (float) ((y - c[1]) / c[2]);
    }

    /** Standard normal via Box-Muller (one value per call; deterministic for a given stream). */
    private static double gauss(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble(); // (0, 1]
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Reads 2-D points from a CSV file: one point per line, fields separated by commas,
     * semicolons, tabs or spaces; an optional non-numeric header line; blank lines and lines
     * starting with '#' are skipped. Two columns (x, y), or three where the third is an integer
     * class label (all lines alike). Values are used as they are (no standardisation).
     */
    public static DataSet readCsv(Path file) {
        List<float[]> pts = new ArrayList<>();
        List<Integer> labs = new ArrayList<>();
        int cols = -1;
        try (BufferedReader br = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            boolean first = true;
            while ((line = br.readLine()) != null) {
                lineNo++;
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) {
                    continue;
                }
                String[] f = s.split("\\s*[,;\\t ]\\s*");
                double[] v = new double[f.length];
                boolean numeric = true;
                for (int k = 0; k < f.length; k++) {
                    try {
                        v[k] = Double.parseDouble(f[k].replace("\"", ""));
                    } catch (NumberFormatException e) {
                        numeric = false;
                        break;
                    }
                }
                if (!numeric) {
                    if (first) {
                        first = false;
                        continue; // header
                    }
                    throw new UserException(file + ":" + lineNo + ": not a number in '" + abbreviate(s)
                            + "'; give lines of x,y (or x,y,label) numbers");
                }
                first = false;
                if (cols < 0) {
                    cols = f.length;
                    if (cols != 2 && cols != 3) {
                        throw new UserException(file + ":" + lineNo + ": " + cols + " columns; give lines of x,y "
                                + "(or x,y,label) numbers");
                    }
                } else if (f.length != cols) {
                    throw new UserException(file + ":" + lineNo + ": " + f.length + " columns where earlier lines "
                            + "have " + cols + "; make every line x,y (or x,y,label)");
                }
                if (!Double.isFinite(v[0]) || !Double.isFinite(v[1])) {
                    throw new UserException(file + ":" + lineNo + ": non-finite value; remove NaN/Inf points");
                }
                pts.add(new float[] {(float) v[0], (float) v[1]});
                if (cols == 3) {
                    if (v[2] != Math.rint(v[2]) || v[2] < 0) {
                        throw new UserException(file + ":" + lineNo + ": third column '" + f[2] + "' is not a "
                                + "class label (integer >= 0); drop it or make it 0, 1, 2, ...");
                    }
                    labs.add((int) v[2]);
                }
            }
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": no such file; give a CSV file of x,y points");
        } catch (IOException e) {
            throw new UserException(file + ": cannot read (" + IdxReader.oneLine(e) + "); check the file");
        }
        if (pts.isEmpty()) {
            throw new UserException(file + ": no points found; give a CSV file with one x,y point per line");
        }
        float[] xy = new float[2 * pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            xy[2 * i] = pts.get(i)[0];
            xy[2 * i + 1] = pts.get(i)[1];
        }
        int[] l = cols == 3 ? labs.stream().mapToInt(Integer::intValue).toArray() : null;
        return new DataSet(file.getFileName().toString(), xy, pts.size(), new long[] {2}, l, 0);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
