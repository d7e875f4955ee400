package org.diffusion4j.latent;

import com.google.gson.Gson;
import java.util.Arrays;
import org.diffusion4j.InvalidArgumentException;

/**
 * The autoencoder's shape: images of {@code channels} x {@code height} x {@code width}; one level
 * per entry of {@code hidden} (a residual unit of that many channels, then a stride-2
 * convolution), so the latent is {@code latentChannels} x height/2^L x width/2^L; GroupNorm with
 * {@code groups} groups.
 */
public record AutoencoderConfig(int channels, int height, int width, int[] hidden, int latentChannels, int groups) {
    public AutoencoderConfig {
        hidden = hidden == null ? null : hidden.clone();
        if (channels < 1 || channels > 64) {
            throw new InvalidArgumentException("channels", channels, "must be in 1..64");
        }
        if (hidden == null || hidden.length == 0 || hidden.length > 4) {
            throw new InvalidArgumentException("hidden", hidden == null ? "(none)" : Arrays.toString(hidden),
                    "must list 1 to 4 channel counts, one per halving of the image");
        }
        for (int h : hidden) {
            if (h < groups || h % groups != 0 || h > 1024) {
                throw new InvalidArgumentException("hidden", Arrays.toString(hidden),
                        "must have every entry a multiple of groups (" + groups + ") and at most 1024");
            }
        }
        int f = 1 << hidden.length;
        if (height % f != 0 || width % f != 0) {
            throw new InvalidArgumentException("hidden", Arrays.toString(hidden), "has " + hidden.length
                    + " halvings, which need height and width divisible by " + f + " (the images are " + height + "x" + width + ")");
        }
        if (latentChannels < 1 || latentChannels > 256) {
            throw new InvalidArgumentException("latentChannels", latentChannels, "must be in 1..256");
        }
        if (groups < 1) {
            throw new InvalidArgumentException("groups", groups, "must be >= 1");
        }
    }

    /** Two halvings (28x28 -> 7x7, 32x32 -> 8x8) to 4 latent channels: a quarter of the values of a grayscale image. */
    public static AutoencoderConfig defaults(int channels, int height, int width) {
        return new AutoencoderConfig(channels, height, width, new int[] {32, 64}, 4, 8);
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }

    public int levels() {
        return hidden.length;
    }

    /** [C, H, W] of one image. */
    public long[] imageShape() {
        return new long[] {channels, height, width};
    }

    /** [latentChannels, H / 2^L, W / 2^L] of one latent. */
    public long[] latentShape() {
        return new long[] {latentChannels, height >> levels(), width >> levels()};
    }

    public String toJson() {
        return new Gson().toJson(this);
    }

    public static AutoencoderConfig fromJson(String json) {
        return new Gson().fromJson(json, AutoencoderConfig.class);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AutoencoderConfig c && c.channels == channels && c.height == height && c.width == width
                && Arrays.equals(c.hidden, hidden) && c.latentChannels == latentChannels && c.groups == groups;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {channels, height, width, Arrays.hashCode(hidden), latentChannels, groups});
    }

    @Override
    public String toString() {
        return "autoencoder " + channels + "x" + height + "x" + width + " -> " + latentChannels + "x" + (height >> levels())
                + "x" + (width >> levels()) + ", hidden " + Arrays.toString(hidden) + ", groups " + groups;
    }
}
