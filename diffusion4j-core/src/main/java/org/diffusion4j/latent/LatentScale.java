package org.diffusion4j.latent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import org.diffusion4j.InvalidArgumentException;

/**
 * How latents are scaled for a DDPM: per channel standardised (mean 0, std 1 over the encoded
 * data), divided by a range R, and written as images are, in [0, 1] units: u = z' / (2 R) + 1/2
 * with z' = (z - mean_c) / std_c. A DDPM maps [0, 1] to [-1, 1], so it sees z' / R: R = 1 is
 * latent diffusion's unit variance (sample it without clipping x0, which would cut at 1 std).
 *
 * @param mean per-channel mean of the raw latents
 * @param std per-channel standard deviation of the raw latents (> 0)
 * @param range R
 */
public record LatentScale(double[] mean, double[] std, double range) {
    public LatentScale {
        mean = mean.clone();
        std = std.clone();
        if (mean.length != std.length || mean.length == 0) {
            throw new InvalidArgumentException("std", std.length + " channels", "needs one value per channel of the mean ("
                    + mean.length + ")");
        }
        for (double s : std) {
            if (!(s > 0 && Double.isFinite(s))) {
                throw new InvalidArgumentException("std", s, "must be finite and > 0");
            }
        }
        if (!(range > 0 && range <= 100)) {
            throw new InvalidArgumentException("range", range, "must be in (0, 100] (1: unit variance)");
        }
    }

    /** The mean and std of each of {@code channels} channels of raw latents z (rows of channels x plane values). */
    public static LatentScale measure(float[] z, int channels, int plane, double range) {
        double[] mean = new double[channels];
        double[] sq = new double[channels];
        long perChannel = z.length / channels;
        for (int i = 0; i < z.length; i++) {
            int c = (i / plane) % channels;
            mean[c] += z[i];
            sq[c] += (double) z[i] * z[i];
        }
        double[] std = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] /= perChannel;
            std[c] = Math.sqrt(Math.max(sq[c] / perChannel - mean[c] * mean[c], 1e-12));
        }
        return new LatentScale(mean, std, range);
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    public int channels() {
        return mean.length;
    }

    /** z -> (z - mean) / std / (2 R) + 1/2, in place. */
    public void toUnit(float[] z, int plane) {
        for (int i = 0; i < z.length; i++) {
            int c = (i / plane) % mean.length;
            z[i] = (float) ((z[i] - mean[c]) / std[c] / (2 * range) + 0.5);
        }
    }

    /** The inverse of {@link #toUnit}, in place. */
    public void fromUnit(float[] u, int plane) {
        for (int i = 0; i < u.length; i++) {
            int c = (i / plane) % mean.length;
            u[i] = (float) ((u[i] - 0.5) * 2 * range * std[c] + mean[c]);
        }
    }

    /** Raw latents from what a DDPM trained on {@link #toUnit} data outputs ([-1, 1] units: z' / R), in place. */
    public void fromModelUnits(float[] x, int plane) {
        for (int i = 0; i < x.length; i++) {
            int c = (i / plane) % mean.length;
            x[i] = (float) (x[i] * range * std[c] + mean[c]);
        }
    }

    /** The JSON form: {"mean": [...], "std": [...], "range": R}. */
    public String toJson() {
        JsonObject o = new JsonObject();
        JsonArray jm = new JsonArray();
        JsonArray js = new JsonArray();
        for (int c = 0; c < mean.length; c++) {
            jm.add(mean[c]);
            js.add(std[c]);
        }
        o.add("mean", jm);
        o.add("std", js);
        o.addProperty("range", range);
        return o.toString();
    }

    /** Parses {@link #toJson()}; files written before the range was stored used 3. */
    public static LatentScale fromJson(String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        JsonArray jm = o.getAsJsonArray("mean");
        JsonArray js = o.getAsJsonArray("std");
        double[] mean = new double[jm.size()];
        double[] std = new double[js.size()];
        for (int c = 0; c < mean.length; c++) {
            mean[c] = jm.get(c).getAsDouble();
            std[c] = c < js.size() ? js.get(c).getAsDouble() : 0;
        }
        return new LatentScale(mean, std, o.has("range") ? o.get("range").getAsDouble() : 3.0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LatentScale s && Arrays.equals(mean, s.mean) && Arrays.equals(std, s.std) && range == s.range;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(mean) + Arrays.hashCode(std)) + Double.hashCode(range);
    }
}
