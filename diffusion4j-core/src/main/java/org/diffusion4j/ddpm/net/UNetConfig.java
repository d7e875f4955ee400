package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.GroupNorm;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.diffusion4j.UserException;

/**
 * The configuration of the DDPM noise-prediction U-Net ({@code docs/unet.md}). Immutable; use
 * {@link #builder()} or {@link #toBuilder()} to make variants and {@link #preset(String, int)} for
 * the named configurations. Saved in every checkpoint as JSON ({@link #toJson()}).
 *
 * <p>The analytic methods ({@link #parameterCount(int, int)}, {@link #forwardFlops(int, int)},
 * {@link #featureMapSizes(int, int)}) walk exactly the graph that {@link UNet} builds; whether a
 * level gets self-attention depends on its feature-map height, so they take the input size.
 */
public final class UNetConfig {

    /** Preset names, in the order they are listed to the user. */
    private static final Map<String, UNetConfig> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put(
                "tiny",
                builder().ch(16).chMult(1, 2).numResBlocks(1).attnResolutions().dropout(0f)
                        .groups(8).build());
        PRESETS.put(
                "mnist",
                builder().ch(32).chMult(1, 2, 4).numResBlocks(2).attnResolutions(7).dropout(0.1f)
                        .groups(8).build());
        PRESETS.put(
                "cifar10",
                builder().inChannels(3).outChannels(3).ch(128).chMult(1, 2, 2, 2)
                        .numResBlocks(2).attnResolutions(16).dropout(0.1f).groups(32).build());
    }

    private final int inChannels;
    private final int outChannels;
    private final int ch;
    private final int[] chMult;
    private final int numResBlocks;
    private final int[] attnResolutions;
    private final float dropout;
    private final int groups;

    private UNetConfig(Builder b) {
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.ch = b.ch;
        this.chMult = b.chMult == null ? null : b.chMult.clone();
        this.numResBlocks = b.numResBlocks;
        this.attnResolutions = b.attnResolutions == null ? new int[0] : b.attnResolutions.clone();
        this.dropout = b.dropout;
        this.groups = b.groups;
        checkStructure();
    }

    /** Rejects configurations that cannot describe any network. */
    private void checkStructure() {
        if (inChannels < 1 || outChannels < 1) {
            throw new UserException(
                    "U-Net config: inChannels and outChannels must be >= 1 (got "
                            + inChannels + ", " + outChannels + "); set them to the image's channel count");
        }
        if (ch < 4 || ch % 2 != 0) {
            throw new UserException(
                    "U-Net config: ch must be an even number >= 4 (got " + ch
                            + "); the time embedding has ch/2 sine and ch/2 cosine components");
        }
        if (chMult == null || chMult.length == 0) {
            throw new UserException(
                    "U-Net config: chMult must list at least one channel multiplier, e.g. 1,2,2");
        }
        for (int m : chMult) {
            if (m < 1) {
                throw new UserException(
                        "U-Net config: every chMult entry must be >= 1 (got "
                                + Arrays.toString(chMult) + ")");
            }
        }
        if (chMult.length > 16) {
            throw new UserException(
                    "U-Net config: at most 16 levels are supported (chMult has " + chMult.length + ")");
        }
        if (numResBlocks < 1) {
            throw new UserException(
                    "U-Net config: numResBlocks must be >= 1 (got " + numResBlocks + ")");
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new UserException(
                    "U-Net config: dropout must be in [0, 1) (got " + dropout + ")");
        }
        if (groups < 1) {
            throw new UserException("U-Net config: groups must be >= 1 (got " + groups + ")");
        }
        for (int r : attnResolutions) {
            if (r < 1) {
                throw new UserException(
                        "U-Net config: attnResolutions must be feature-map heights >= 1 (got "
                                + Arrays.toString(attnResolutions) + ")");
            }
        }
    }

    // ----------------------------------------------------------------------------- presets

    /**
     * A named preset: {@code tiny} (test-sized, 2 levels), {@code mnist} (3 levels, attention at
     * 7x7) or {@code cifar10} (the DDPM paper's 35.7 M-parameter network).
     *
     * @param name the preset name (case-insensitive)
     * @param inChannels image channels (also used as output channels)
     * @throws UserException for an unknown name
     */
    public static UNetConfig preset(String name, int inChannels) {
        UNetConfig c = name == null ? null : PRESETS.get(name.trim().toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new UserException(
                    "unknown model preset '" + name + "'; choose one of: " + String.join(", ", presetNames()));
        }
        return c.toBuilder().inChannels(inChannels).outChannels(inChannels).build();
    }

    /** The preset names accepted by {@link #preset(String, int)}. */
    public static List<String> presetNames() {
        return Collections.unmodifiableList(new ArrayList<>(PRESETS.keySet()));
    }

    // ----------------------------------------------------------------------------- accessors

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int ch() {
        return ch;
    }

    /** A copy of the channel multipliers. */
    public int[] chMult() {
        return chMult.clone();
    }

    public int levels() {
        return chMult.length;
    }

    /** Channels of level {@code i}: ch * chMult[i]. */
    public int channels(int level) {
        return ch * chMult[level];
    }

    public int numResBlocks() {
        return numResBlocks;
    }

    /** A copy of the feature-map heights that get self-attention. */
    public int[] attnResolutions() {
        return attnResolutions.clone();
    }

    /** Whether a feature map of this height gets self-attention (outside the middle block). */
    public boolean hasAttention(long height) {
        for (int r : attnResolutions) {
            if (r == height) {
                return true;
            }
        }
        return false;
    }

    public float dropout() {
        return dropout;
    }

    public int groups() {
        return groups;
    }

    /** Time-embedding width 4 * ch. */
    public int tembDim() {
        return 4 * ch;
    }

    // ----------------------------------------------------------------------------- validation

    /**
     * Checks that this configuration can process images of the given size.
     *
     * @throws UserException if a side is not divisible by 2^(levels-1) or {@code groups} does not
     *     divide every channel count
     */
    public void validate(int height, int width) {
        int factor = 1 << (chMult.length - 1);
        if (height < 1 || width < 1 || height % factor != 0 || width % factor != 0) {
            throw new UserException(
                    String.format(
                            Locale.ROOT,
                            "image size %dx%d does not fit a U-Net with %d levels: height and width must be"
                                    + " multiples of %d; resize the images or use fewer levels (chMult)",
                            height, width, chMult.length, factor));
        }
        List<Integer> bad = new ArrayList<>();
        if (ch % groups != 0) {
            bad.add(ch);
        }
        for (int m : chMult) {
            int c = ch * m;
            if (c % groups != 0 && !bad.contains(c)) {
                bad.add(c);
            }
        }
        if (!bad.isEmpty()) {
            throw new UserException(
                    "GroupNorm groups=" + groups + " does not divide the channel count(s) "
                            + bad.stream().map(String::valueOf).collect(Collectors.joining(", "))
                            + "; choose groups dividing ch=" + ch + " and every ch*chMult");
        }
    }

    /**
     * Feature-map sizes per level: {@code [level][0]} height, {@code [1]} width, {@code [2]}
     * channels.
     */
    public int[][] featureMapSizes(int height, int width) {
        validate(height, width);
        int[][] out = new int[chMult.length][];
        for (int i = 0; i < chMult.length; i++) {
            out[i] = new int[] {height >> i, width >> i, channels(i)};
        }
        return out;
    }

    // ----------------------------------------------------------------------------- analytics

    /**
     * The exact number of scalar parameters of the {@link UNet} built for this size (weights,
     * biases, GroupNorm scales and shifts).
     */
    public long parameterCount(int height, int width) {
        return walk(height, width, false);
    }

    /**
     * Forward FLOPs for one image, counting a multiply-add as 2 FLOPs. Included: every
     * convolution (3x3, 1x1 and the stride-2 downsampling conv, as 2 * Cin * k * k * Cout per
     * output pixel), every linear layer (time-embedding MLP and the per-ResBlock time projection,
     * 2 * in * out), and the two attention matmuls (q^T k and v w^T, 2 * c * (HW)^2 each).
     * Excluded (they are O(elements) rather than O(elements * channels)): bias additions,
     * GroupNorm, SiLU, softmax, the 1/sqrt(c) scaling, residual additions, dropout,
     * concatenation, upsampling and the sinusoid.
     */
    public long forwardFlops(int height, int width) {
        return walk(height, width, true);
    }

    private static long convParams(long a, long b, long k) {
        return a * b * k * k + b;
    }

    private static long convFlops(long a, long b, long k, long h, long w) {
        return 2L * a * b * k * k * h * w;
    }

    private long resBlock(long a, long b, long h, long w, boolean flops) {
        long t = tembDim();
        if (flops) {
            return convFlops(a, b, 3, h, w) + 2L * t * b + convFlops(b, b, 3, h, w)
                    + (a != b ? convFlops(a, b, 1, h, w) : 0);
        }
        return 2 * a + convParams(a, b, 3) + (t * b + b) + 2 * b + convParams(b, b, 3)
                + (a != b ? convParams(a, b, 1) : 0);
    }

    private static long attn(long c, long h, long w, boolean flops) {
        if (flops) {
            long hw = h * w;
            return 4 * convFlops(c, c, 1, h, w) + 2 * (2L * c * hw * hw);
        }
        return 2 * c + 4 * convParams(c, c, 1);
    }

    /** Walks the graph of docs/unet.md and sums parameters or FLOPs. */
    private long walk(int height, int width, boolean flops) {
        validate(height, width);
        long c0 = ch;
        long t = tembDim();
        long total = flops ? 2L * (c0 * t + t * t) : (c0 * t + t) + (t * t + t);
        long h = height;
        long w = width;
        total += flops ? convFlops(inChannels, c0, 3, h, w) : convParams(inChannels, c0, 3);
        List<Long> hs = new ArrayList<>();
        hs.add(c0);
        long prev = c0;
        int levels = chMult.length;
        for (int i = 0; i < levels; i++) {
            long c = channels(i);
            for (int j = 0; j < numResBlocks; j++) {
                total += resBlock(prev, c, h, w, flops);
                if (hasAttention(h)) {
                    total += attn(c, h, w, flops);
                }
                prev = c;
                hs.add(c);
            }
            if (i != levels - 1) {
                total += flops ? convFlops(c, c, 3, h / 2, w / 2) : convParams(c, c, 3);
                h /= 2;
                w /= 2;
                hs.add(c);
            }
        }
        total += 2 * resBlock(prev, prev, h, w, flops) + attn(prev, h, w, flops);
        for (int i = levels - 1; i >= 0; i--) {
            long c = channels(i);
            for (int j = 0; j < numResBlocks + 1; j++) {
                long skip = hs.remove(hs.size() - 1);
                total += resBlock(prev + skip, c, h, w, flops);
                if (hasAttention(h)) {
                    total += attn(c, h, w, flops);
                }
                prev = c;
            }
            if (i != 0) {
                h *= 2;
                w *= 2;
                total += flops ? convFlops(c, c, 3, h, w) : convParams(c, c, 3);
            }
        }
        total += flops ? convFlops(prev, outChannels, 3, h, w) : 2 * prev + convParams(prev, outChannels, 3);
        return total;
    }

    /**
     * A human description: configuration, exact parameter count, forward GFLOPs per image and
     * the feature maps per level.
     */
    public String describe(int height, int width) {
        int[][] maps = featureMapSizes(height, width);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "U-Net (DDPM) for %dx%dx%d images%n", inChannels, height, width));
        sb.append(String.format(
                Locale.ROOT,
                "  channels in/out %d/%d, ch %d, chMult %s, res blocks/level %d, attention at %s%n",
                inChannels, outChannels, ch, joinInts(chMult), numResBlocks,
                attnResolutions.length == 0 ? "none (middle block only)" : joinInts(attnResolutions)
                        + " (+ middle block)"));
        sb.append(String.format(
                Locale.ROOT, "  dropout %s, GroupNorm groups %d (eps 1e-5), time embedding %d -> %d%n",
                dropout, groups, ch, tembDim()));
        sb.append(String.format(Locale.ROOT, "  parameters: %,d%n", parameterCount(height, width)));
        sb.append(String.format(
                Locale.ROOT, "  forward: %.3f GFLOPs per image (multiply-add = 2 FLOPs)%n",
                forwardFlops(height, width) / 1e9));
        sb.append("  feature maps:\n");
        for (int i = 0; i < maps.length; i++) {
            sb.append(String.format(
                    Locale.ROOT, "    level %d: %dx%d, %d channels%s%n",
                    i, maps[i][0], maps[i][1], maps[i][2],
                    hasAttention(maps[i][0]) ? ", self-attention" : ""));
        }
        int[] last = maps[maps.length - 1];
        sb.append(String.format(
                Locale.ROOT, "    middle:  %dx%d, %d channels, self-attention", last[0], last[1], last[2]));
        return sb.toString();
    }

    private static String joinInts(int[] a) {
        return Arrays.stream(a).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }

    // ----------------------------------------------------------------------------- JSON

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /** The JSON form (field names as in the builder). */
    private static final class Json {
        int inChannels;
        int outChannels;
        int ch;
        int[] chMult;
        int numResBlocks;
        int[] attnResolutions;
        float dropout;
        int groups;
    }

    public String toJson() {
        Json j = new Json();
        j.inChannels = inChannels;
        j.outChannels = outChannels;
        j.ch = ch;
        j.chMult = chMult.clone();
        j.numResBlocks = numResBlocks;
        j.attnResolutions = attnResolutions.clone();
        j.dropout = dropout;
        j.groups = groups;
        return GSON.toJson(j);
    }

    /**
     * Parses {@link #toJson()} output.
     *
     * @throws UserException if the text is not a valid U-Net configuration
     */
    public static UNetConfig fromJson(String json) {
        Json j;
        try {
            j = GSON.fromJson(json, Json.class);
        } catch (JsonParseException e) {
            throw new UserException(
                    "the U-Net configuration is not valid JSON (" + e.getMessage()
                            + "); the checkpoint may be corrupt", e);
        }
        if (j == null) {
            throw new UserException("the U-Net configuration is empty; the checkpoint may be corrupt");
        }
        return builder().inChannels(j.inChannels).outChannels(j.outChannels).ch(j.ch)
                .chMult(j.chMult).numResBlocks(j.numResBlocks).attnResolutions(j.attnResolutions)
                .dropout(j.dropout).groups(j.groups).build();
    }

    // ----------------------------------------------------------------------------- equality

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof UNetConfig)) {
            return false;
        }
        UNetConfig c = (UNetConfig) o;
        return inChannels == c.inChannels && outChannels == c.outChannels && ch == c.ch
                && Arrays.equals(chMult, c.chMult) && numResBlocks == c.numResBlocks
                && Arrays.equals(attnResolutions, c.attnResolutions)
                && Float.compare(dropout, c.dropout) == 0 && groups == c.groups;
    }

    @Override
    public int hashCode() {
        int h = inChannels;
        h = 31 * h + outChannels;
        h = 31 * h + ch;
        h = 31 * h + Arrays.hashCode(chMult);
        h = 31 * h + numResBlocks;
        h = 31 * h + Arrays.hashCode(attnResolutions);
        h = 31 * h + Float.hashCode(dropout);
        return 31 * h + groups;
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "UNetConfig{in=%d, out=%d, ch=%d, chMult=%s, numResBlocks=%d, attn=%s, dropout=%s, groups=%d}",
                inChannels, outChannels, ch, Arrays.toString(chMult), numResBlocks,
                Arrays.toString(attnResolutions), dropout, groups);
    }

    // ----------------------------------------------------------------------------- builder

    /** A builder with the DDPM CIFAR-10 defaults except 1 input/output channel. */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().inChannels(inChannels).outChannels(outChannels).ch(ch).chMult(chMult)
                .numResBlocks(numResBlocks).attnResolutions(attnResolutions).dropout(dropout)
                .groups(groups);
    }

    /** Builder for {@link UNetConfig}; {@link #build()} checks the values. */
    public static final class Builder {
        private int inChannels = 1;
        private int outChannels = 1;
        private int ch = 128;
        private int[] chMult = {1, 2, 2, 2};
        private int numResBlocks = 2;
        private int[] attnResolutions = {16};
        private float dropout = 0.1f;
        private int groups = 32;

        private Builder() {}

        public Builder inChannels(int v) {
            inChannels = v;
            return this;
        }

        public Builder outChannels(int v) {
            outChannels = v;
            return this;
        }

        public Builder ch(int v) {
            ch = v;
            return this;
        }

        public Builder chMult(int... v) {
            chMult = v == null ? null : v.clone();
            return this;
        }

        public Builder numResBlocks(int v) {
            numResBlocks = v;
            return this;
        }

        public Builder attnResolutions(int... v) {
            attnResolutions = v == null ? new int[0] : v.clone();
            return this;
        }

        public Builder dropout(float v) {
            dropout = v;
            return this;
        }

        public Builder groups(int v) {
            groups = v;
            return this;
        }

        public UNetConfig build() {
            return new UNetConfig(this);
        }
    }
}
