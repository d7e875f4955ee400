package org.diffusion4j.ddpm.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import org.diffusion4j.io.RecordJson;
import org.diffusion4j.nn.GroupNorm;

/**
 * The configuration of the DDPM noise-prediction U-Net ({@code docs/unet.md}). Use {@link
 * #builder()} or {@link #toBuilder()} to make variants and {@link #preset(String, int)} for the
 * named configurations. Saved in every checkpoint as JSON ({@link #toJson()}).
 *
 * <p>The analytic methods ({@link #parameterCount(int, int)}, {@link #forwardFlops(int, int)})
 * walk the graph {@link UNet} builds ({@code UNetGraph}); whether a level gets self-attention
 * depends on its feature-map height, so they take the input size.
 *
 * @param inChannels image channels in
 * @param outChannels channels predicted
 * @param ch base channel count (even, >= 4: the time embedding has ch/2 sines and ch/2 cosines)
 * @param chMult channel multiplier per level (at most 16 levels)
 * @param numResBlocks residual blocks per level on the way down (one more on the way up)
 * @param attnResolutions feature-map heights that get self-attention (the middle block always has it)
 * @param dropout dropout inside the residual blocks, in [0, 1)
 * @param groups GroupNorm groups
 * @param normEps the GroupNorm variance epsilon (> 0); 0 stands for the default {@value
 *     #DEFAULT_NORM_EPS}, which is what a configuration saved before the field existed reads as
 * @param numClasses classes of a class-conditional net (0: unconditional); a conditional net has
 *     a class embedding of numClasses + 1 rows, the last the null class (docs/unet.md). A
 *     configuration saved before this field existed reads as 0.
 */
public record UNetConfig(
        int inChannels, int outChannels, int ch, int[] chMult, int numResBlocks, int[] attnResolutions,
        float dropout, int groups, float normEps, int numClasses) {

    /** The GroupNorm epsilon of every configuration that does not set one (PyTorch's default). */
    public static final float DEFAULT_NORM_EPS = GroupNorm.EPS;

    /** Preset names, in the order they are listed to the user. */
    private static final Map<String, UNetConfig> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("tiny", builder().ch(16).chMult(1, 2).numResBlocks(1).attnResolutions().dropout(0f).groups(8).build());
        PRESETS.put("mnist",
                builder().ch(32).chMult(1, 2, 4).numResBlocks(2).attnResolutions(7).dropout(0.1f).groups(8).build());
        PRESETS.put("cifar10", builder().inChannels(3).outChannels(3).ch(128).chMult(1, 2, 2, 2).numResBlocks(2)
                .attnResolutions(16).dropout(0.1f).groups(32).build());
    }

    /**
     * Copies the arrays (a record's components are otherwise shared) and rejects impossible values.
     *
     * @throws InvalidArgumentException naming the component, for values that describe no network
     */
    public UNetConfig {
        chMult = chMult == null ? null : chMult.clone();
        attnResolutions = attnResolutions == null ? new int[0] : attnResolutions.clone();
        if (inChannels < 1) {
            throw new InvalidArgumentException("inChannels", inChannels, "must be >= 1: the image's channel count");
        }
        if (outChannels < 1) {
            throw new InvalidArgumentException("outChannels", outChannels, "must be >= 1: the image's channel count");
        }
        if (ch < 4 || ch % 2 != 0) {
            throw new InvalidArgumentException("ch", ch,
                    "must be an even number >= 4: the time embedding has ch/2 sine and ch/2 cosine components");
        }
        if (chMult == null || chMult.length == 0) {
            throw new InvalidArgumentException("chMult", "(none)", "must list at least one channel multiplier, e.g. 1,2,2");
        }
        if (Arrays.stream(chMult).anyMatch(m -> m < 1)) {
            throw new InvalidArgumentException("chMult", joinInts(chMult), "must have every entry >= 1");
        }
        if (chMult.length > 16) {
            throw new InvalidArgumentException("chMult", joinInts(chMult), "has more than the 16 levels supported");
        }
        if (numResBlocks < 1) {
            throw new InvalidArgumentException("numResBlocks", numResBlocks, "must be >= 1");
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new InvalidArgumentException("dropout", dropout, "must be in [0, 1)");
        }
        if (groups < 1) {
            throw new InvalidArgumentException("groups", groups, "must be >= 1");
        }
        if (normEps == 0f) { // absent from JSON written before the field existed
            normEps = DEFAULT_NORM_EPS;
        }
        if (!(normEps > 0f && normEps < 1f)) {
            throw new InvalidArgumentException("normEps", normEps, "must be in (0, 1), e.g. 1e-5 or 1e-6");
        }
        if (numClasses < 0) {
            throw new InvalidArgumentException("numClasses", numClasses, "must be >= 0 (0: an unconditional net)");
        }
        if (Arrays.stream(attnResolutions).anyMatch(r -> r < 1)) {
            throw new InvalidArgumentException("attnResolutions", joinInts(attnResolutions),
                    "must be feature-map heights >= 1");
        }
    }

    // ----------------------------------------------------------------------------- presets

    /**
     * A named preset: {@code tiny} (test-sized, 2 levels), {@code mnist} (3 levels, attention at
     * 7x7) or {@code cifar10} (the DDPM paper's 35.7 M-parameter network).
     *
     * @param name the preset name (case-insensitive)
     * @param inChannels image channels (also used as output channels)
     * @throws InvalidArgumentException (argument {@code preset}) for an unknown name
     */
    public static UNetConfig preset(String name, int inChannels) {
        UNetConfig c = name == null ? null : PRESETS.get(name.trim().toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new InvalidArgumentException("preset", name, "is not a U-Net preset; choose one of: "
                    + String.join(", ", presetNames()));
        }
        return c.toBuilder().inChannels(inChannels).outChannels(inChannels).build();
    }

    /** The preset names accepted by {@link #preset(String, int)}. */
    public static List<String> presetNames() {
        return Collections.unmodifiableList(new ArrayList<>(PRESETS.keySet()));
    }

    // ----------------------------------------------------------------------------- accessors

    /** A copy of the channel multipliers. */
    @Override
    public int[] chMult() {
        return chMult.clone();
    }

    /** A copy of the feature-map heights that get self-attention. */
    @Override
    public int[] attnResolutions() {
        return attnResolutions.clone();
    }

    public int levels() {
        return chMult.length;
    }

    /** Channels of level {@code i}: ch * chMult[i]. */
    public int channels(int level) {
        return ch * chMult[level];
    }

    /** Whether a feature map of this height gets self-attention (outside the middle block). */
    public boolean hasAttention(long height) {
        return Arrays.stream(attnResolutions).anyMatch(r -> r == height);
    }

    /** Whether the net takes a class label (numClasses > 0). */
    public boolean isConditional() {
        return numClasses > 0;
    }

    /** The label of the null class (no class given): numClasses. */
    public int nullClass() {
        return numClasses;
    }

    /** Time-embedding width 4 * ch. */
    public int tembDim() {
        return 4 * ch;
    }

    // ----------------------------------------------------------------------------- validation

    /**
     * Checks that this configuration can process images of the given size.
     *
     * @throws UserException if a side is not divisible by 2^(levels-1)
     * @throws InvalidArgumentException (argument {@code groups}) if groups does not divide every
     *     channel count
     */
    public void validate(int height, int width) {
        int factor = 1 << (chMult.length - 1);
        if (height < 1 || width < 1 || height % factor != 0 || width % factor != 0) {
            throw new UserException(String.format(Locale.ROOT,
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
            throw new InvalidArgumentException("groups", groups, "does not divide the channel count(s) "
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
        long t = tembDim();
        long total = (ch * t + t) + (t * t + t) + convParams(inChannels, ch, 3);
        long last = ch;
        for (UNetGraph.Node n : UNetGraph.nodes(this, height, width)) {
            long a = n.inChannels();
            long b = n.outChannels();
            switch (n.kind()) {
                case DOWNSAMPLE, UPSAMPLE -> total += convParams(b, b, 3);
                case DOWN_ATTN, MID_ATTN, UP_ATTN -> total += 2 * b + 4 * convParams(b, b, 1);
                default -> total += 2 * a + convParams(a, b, 3) + (t * b + b) + 2 * b + convParams(b, b, 3)
                        + (a != b ? convParams(a, b, 1) : 0);
            }
            last = b;
        }
        long classEmbedding = isConditional() ? (numClasses + 1L) * t : 0;
        return total + 2 * last + convParams(last, outChannels, 3) + classEmbedding;
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
        long t = tembDim();
        long total = 2L * (ch * t + t * t) + convFlops(inChannels, ch, 3, height, width);
        long last = ch;
        for (UNetGraph.Node n : UNetGraph.nodes(this, height, width)) {
            long a = n.inChannels();
            long b = n.outChannels();
            long h = n.height();
            long w = n.width();
            switch (n.kind()) {
                case DOWNSAMPLE -> total += convFlops(b, b, 3, h / 2, w / 2);
                case UPSAMPLE -> total += convFlops(b, b, 3, 2 * h, 2 * w);
                case DOWN_ATTN, MID_ATTN, UP_ATTN -> total += 4 * convFlops(b, b, 1, h, w) + 2 * (2L * b * h * w * h * w);
                default -> total += convFlops(a, b, 3, h, w) + 2L * t * b + convFlops(b, b, 3, h, w)
                        + (a != b ? convFlops(a, b, 1, h, w) : 0);
            }
            last = b;
        }
        return total + convFlops(last, outChannels, 3, height, width);
    }

    private static long convParams(long a, long b, long k) {
        return a * b * k * k + b;
    }

    private static long convFlops(long a, long b, long k, long h, long w) {
        return 2L * a * b * k * k * h * w;
    }

    /**
     * A human description: configuration, exact parameter count, forward GFLOPs per image and
     * the feature maps per level.
     */
    public String describe(int height, int width) {
        int[][] maps = featureMapSizes(height, width);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "U-Net (DDPM) for %dx%dx%d images%n", inChannels, height, width));
        sb.append(String.format(Locale.ROOT,
                "  channels in/out %d/%d, ch %d, chMult %s, res blocks/level %d, attention at %s%n",
                inChannels, outChannels, ch, joinInts(chMult), numResBlocks,
                attnResolutions.length == 0 ? "none (middle block only)" : joinInts(attnResolutions)
                        + " (+ middle block)"));
        sb.append(String.format(Locale.ROOT, "  dropout %s, GroupNorm groups %d (eps %s), time embedding %d -> %d%n",
                dropout, groups, epsText(normEps), ch, tembDim()));
        if (isConditional()) {
            sb.append(String.format(Locale.ROOT, "  class-conditional: %d classes + the null class, embedded in %d%n",
                    numClasses, tembDim()));
        }
        sb.append(String.format(Locale.ROOT, "  parameters: %,d%n", parameterCount(height, width)));
        sb.append(String.format(Locale.ROOT, "  forward: %.3f GFLOPs per image (multiply-add = 2 FLOPs)%n",
                forwardFlops(height, width) / 1e9));
        sb.append("  feature maps:\n");
        for (int i = 0; i < maps.length; i++) {
            sb.append(String.format(Locale.ROOT, "    level %d: %dx%d, %d channels%s%n", i, maps[i][0], maps[i][1],
                    maps[i][2], hasAttention(maps[i][0]) ? ", self-attention" : ""));
        }
        int[] last = maps[maps.length - 1];
        sb.append(String.format(Locale.ROOT, "    middle:  %dx%d, %d channels, self-attention", last[0], last[1], last[2]));
        return sb.toString();
    }

    /** 1e-5 rather than 1.0E-5. */
    private static String epsText(float eps) {
        return Float.toString(eps).replace(".0E", "E").replace("E", "e");
    }

    private static String joinInts(int[] a) {
        return Arrays.stream(a).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }

    // ----------------------------------------------------------------------------- JSON

    /**
     * The JSON form: the components by name (as the pre-record class wrote it). {@code normEps} is
     * left out when it is the default and {@code numClasses} when it is 0, so configurations that do
     * not use them are written exactly as before the fields existed (and older versions still read them).
     */
    public String toJson() {
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(RecordJson.toJson(this)).getAsJsonObject();
        if (normEps == DEFAULT_NORM_EPS) {
            o.remove("normEps");
        }
        if (!isConditional()) {
            o.remove("numClasses");
        }
        return RecordJson.toJson(o);
    }

    /**
     * Parses {@link #toJson()} output.
     *
     * @throws UserException if the text is not a valid U-Net configuration
     */
    public static UNetConfig fromJson(String json) {
        return RecordJson.fromJson(json, UNetConfig.class, "the U-Net configuration");
    }

    // ----------------------------------------------------------------------------- equality (arrays by value)

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig c && inChannels == c.inChannels && outChannels == c.outChannels && ch == c.ch
                && Arrays.equals(chMult, c.chMult) && numResBlocks == c.numResBlocks
                && Arrays.equals(attnResolutions, c.attnResolutions) && Float.compare(dropout, c.dropout) == 0
                && groups == c.groups && Float.compare(normEps, c.normEps) == 0 && numClasses == c.numClasses;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {inChannels, outChannels, ch, Arrays.hashCode(chMult), numResBlocks,
            Arrays.hashCode(attnResolutions), Float.hashCode(dropout), groups, Float.hashCode(normEps), numClasses});
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "UNetConfig{in=%d, out=%d, ch=%d, chMult=%s, numResBlocks=%d, attn=%s, dropout=%s, groups=%d, normEps=%s%s}",
                inChannels, outChannels, ch, Arrays.toString(chMult), numResBlocks, Arrays.toString(attnResolutions),
                dropout, groups, normEps, isConditional() ? ", classes=" + numClasses : "");
    }

    // ----------------------------------------------------------------------------- builder

    /** A builder with the DDPM CIFAR-10 defaults except 1 input/output channel. */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().inChannels(inChannels).outChannels(outChannels).ch(ch).chMult(chMult)
                .numResBlocks(numResBlocks).attnResolutions(attnResolutions).dropout(dropout).groups(groups).normEps(normEps)
                .numClasses(numClasses);
    }

    /** Builder for {@link UNetConfig}: the defaults, then the record's constructor checks the values. */
    public static final class Builder {
        private int inChannels = 1;
        private int outChannels = 1;
        private int ch = 128;
        private int[] chMult = {1, 2, 2, 2};
        private int numResBlocks = 2;
        private int[] attnResolutions = {16};
        private float dropout = 0.1f;
        private int groups = 32;
        private float normEps = DEFAULT_NORM_EPS;
        private int numClasses = 0;

        private Builder() {}

        public Builder inChannels(int v) { inChannels = v; return this; }

        public Builder outChannels(int v) { outChannels = v; return this; }

        public Builder ch(int v) { ch = v; return this; }

        public Builder chMult(int... v) { chMult = v; return this; }

        public Builder numResBlocks(int v) { numResBlocks = v; return this; }

        public Builder attnResolutions(int... v) { attnResolutions = v; return this; }

        public Builder dropout(float v) { dropout = v; return this; }

        public Builder groups(int v) { groups = v; return this; }

        public Builder normEps(float v) { normEps = v; return this; }

        public Builder numClasses(int v) { numClasses = v; return this; }

        public UNetConfig build() {
            return new UNetConfig(inChannels, outChannels, ch, chMult, numResBlocks, attnResolutions, dropout, groups, normEps,
                    numClasses);
        }
    }
}
