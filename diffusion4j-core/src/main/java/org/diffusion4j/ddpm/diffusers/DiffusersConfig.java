package org.diffusion4j.ddpm.diffusers;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.net.UNetConfig;

/**
 * Our U-Net configuration as the {@code config.json} of diffusers' {@code UNet2DModel}, and back
 * ({@code docs/diffusers.md}). Our network is the UNet2DModel with: positional time embedding with
 * sines first and frequencies exp(-ln(10000) i / (half - 1)) ({@code flip_sin_to_cos} false,
 * {@code freq_shift} 1), one attention head of all channels ({@code attention_head_dim} null),
 * symmetric padding 1 in the stride-2 downsampling convolution ({@code downsample_padding} 1),
 * SiLU, unscaled residuals, and {@code DownBlock2D}/{@code AttnDownBlock2D} per level. A
 * configuration that asks for anything else is refused with the key named.
 */
public final class DiffusersConfig {
    /** Written as {@code _diffusers_version}: a release that reads every key written here. */
    static final String DIFFUSERS_VERSION = "0.21.0";

    private DiffusersConfig() {}

    /**
     * A UNet2DModel configuration read back.
     *
     * @param config our configuration
     * @param height the image height ({@code sample_size})
     * @param width the image width
     */
    public record Imported(UNetConfig config, int height, int width) {}

    /**
     * Refuses a configuration diffusers' UNet2DModel cannot express.
     *
     * @throws UserException naming the field
     */
    public static void check(UNetConfig c, int height, int width) {
        c.validate(height, width);
        if (c.chMult()[0] != 1) {
            throw new UserException("chMult " + join(c.chMult()) + " cannot be exported to diffusers: its UNet2DModel"
                    + " gives conv_in, the time embedding and the first level the same width (block_out_channels[0]),"
                    + " so chMult must start with 1");
        }
        if (c.inChannels() != c.outChannels()) {
            throw new UserException("inChannels " + c.inChannels() + " and outChannels " + c.outChannels()
                    + " differ; diffusion4j's networks predict one value per input channel (the noise, x0 or v)");
        }
    }

    /** The UNet2DModel {@code config.json} text of this configuration for images of this size. */
    public static String toJson(UNetConfig c, int height, int width) {
        return pretty(toJsonObject(c, height, width));
    }

    static JsonObject toJsonObject(UNetConfig c, int height, int width) {
        check(c, height, width);
        JsonObject o = new JsonObject();
        o.addProperty("_class_name", "UNet2DModel");
        o.addProperty("_diffusers_version", DIFFUSERS_VERSION);
        o.add("sample_size", height == width ? new JsonPrimitive(height) : ints(height, width));
        o.addProperty("in_channels", c.inChannels());
        o.addProperty("out_channels", c.outChannels());
        o.addProperty("center_input_sample", false);
        o.addProperty("time_embedding_type", "positional");
        o.addProperty("flip_sin_to_cos", false);
        o.addProperty("freq_shift", 1);
        JsonArray down = new JsonArray();
        JsonArray up = new JsonArray();
        int[] channels = new int[c.levels()];
        for (int i = 0; i < c.levels(); i++) {
            boolean attn = c.hasAttention(height >> i);
            down.add(attn ? "AttnDownBlock2D" : "DownBlock2D");
            channels[i] = c.channels(i);
        }
        for (int i = c.levels() - 1; i >= 0; i--) {
            up.add(c.hasAttention(height >> i) ? "AttnUpBlock2D" : "UpBlock2D");
        }
        o.add("down_block_types", down);
        // no mid_block_type: UNetMidBlock2D is the default, and diffusers before 0.33 warns about the key
        o.add("up_block_types", up);
        o.add("block_out_channels", ints(channels));
        o.addProperty("layers_per_block", c.numResBlocks());
        o.addProperty("mid_block_scale_factor", 1);
        o.addProperty("downsample_padding", 1);
        o.addProperty("downsample_type", "conv");
        o.addProperty("upsample_type", "conv");
        o.addProperty("dropout", c.dropout());
        o.addProperty("act_fn", "silu");
        o.add("attention_head_dim", null);
        o.addProperty("norm_num_groups", c.groups());
        o.add("attn_norm_num_groups", null);
        o.addProperty("norm_eps", c.normEps());
        o.addProperty("resnet_time_scale_shift", "default");
        o.addProperty("add_attention", true);
        o.add("class_embed_type", null);
        o.add("num_class_embeds", null);
        o.add("num_train_timesteps", null);
        return o;
    }

    /**
     * Reads a UNet2DModel {@code config.json}.
     *
     * @param source the file, for messages
     * @throws UserException one line naming the key that is missing, malformed or asks for a
     *     network ours cannot compute
     */
    public static Imported fromJson(String json, String source) {
        JsonObject o;
        try {
            o = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new UserException(source + " is not a JSON object (" + org.diffusion4j.io.RecordJson.problem(e) + "); give the config.json of a"
                    + " diffusers UNet2DModel");
        }
        Reader r = new Reader(o, source);
        r.requireString("_class_name", "UNet2DModel", false);
        // an absent key means diffusers' default for it (UNet2DModel.__init__)
        r.requireValue("center_input_sample", false, false, "our network takes samples as they are");
        r.requireString("time_embedding_type", "positional", true);
        r.requireValue("flip_sin_to_cos", false, true, "our time embedding puts the sines first (docs/unet.md)");
        r.requireNumber("freq_shift", 1, 0, "our time-embedding frequencies are exp(-ln(10000) i / (half - 1))");
        r.requireString("mid_block_type", "UNetMidBlock2D", false);
        r.requireNumber("mid_block_scale_factor", 1, 1, "our residual blocks are not rescaled");
        r.requireNumber("downsample_padding", 1, 1, "our stride-2 downsampling convolution pads 1 pixel on every side"
                + " (0 would pad only bottom and right, as the original TensorFlow DDPM checkpoints do)");
        r.requireString("downsample_type", "conv", false);
        r.requireString("upsample_type", "conv", false);
        r.requireString("act_fn", "silu", false);
        r.requireString("resnet_time_scale_shift", "default", false);
        r.requireValue("add_attention", true, true, "our middle block always has attention");
        for (String k : new String[] {"class_embed_type", "num_class_embeds", "time_embedding_dim", "time_cond_proj_dim"}) {
            r.requireNull(k);
        }
        int[] blockOut = r.intArray("block_out_channels", true);
        int levels = blockOut.length;
        int ch = blockOut[0];
        int[] chMult = new int[levels];
        for (int i = 0; i < levels; i++) {
            if (blockOut[i] % ch != 0) {
                throw r.refuse("block_out_channels", "each entry must be a multiple of the first (ours are ch * chMult)");
            }
            chMult[i] = blockOut[i] / ch;
        }
        String[] down = r.stringArray("down_block_types", levels);
        String[] up = r.stringArray("up_block_types", levels);
        int[] size = r.sampleSize();
        int height = size[0];
        int width = size[1];
        List<Integer> attn = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            boolean downAttn = r.blockType("down_block_types", down[i], "DownBlock2D", "AttnDownBlock2D");
            boolean upAttn = r.blockType("up_block_types", up[levels - 1 - i], "UpBlock2D", "AttnUpBlock2D");
            if (downAttn != upAttn) {
                throw r.refuse("up_block_types", "level " + i + " has attention on one path only; ours has it on both or"
                        + " neither");
            }
            if (downAttn) {
                attn.add(height >> i);
            }
        }
        int groups = r.integer("norm_num_groups", 32);
        if (o.has("attn_norm_num_groups") && !o.get("attn_norm_num_groups").isJsonNull()
                && o.get("attn_norm_num_groups").getAsInt() != groups) {
            throw r.refuse("attn_norm_num_groups", "our attention blocks normalise with norm_num_groups groups");
        }
        JsonElement head = o.get("attention_head_dim");
        if (head == null || !head.isJsonNull()) { // absent: diffusers' default 8
            int d = r.integer("attention_head_dim", 8);
            for (int i = 0; i < levels; i++) {
                if ((attn.contains(height >> i) || i == levels - 1) && d != blockOut[i]) {
                    throw r.refuseValue("attention_head_dim", head == null ? "absent (diffusers' default 8)"
                            : head.toString(), "our attention has one head of all " + blockOut[i]
                            + " channels; use null (one head per block)");
                }
            }
        }
        int in = r.integer("in_channels", 3);
        int out = r.integer("out_channels", 3);
        if (out == 2 * in) {
            throw r.refuse("out_channels", "twice in_channels is a network that also predicts its variances (diffusers' "
                    + "variance_type learned or learned_range), and diffusion4j's samplers have no learned variances; "
                    + "give a model that predicts the noise alone (out_channels = in_channels)");
        }
        if (out != in) {
            throw r.refuse("out_channels", "diffusion4j's networks predict one value per input channel (in_channels = " + in + ")");
        }
        UNetConfig c;
        try {
            c = UNetConfig.builder().inChannels(in).outChannels(out)
                    .ch(ch).chMult(chMult).numResBlocks(r.integer("layers_per_block", 2))
                    .attnResolutions(attn.stream().mapToInt(Integer::intValue).toArray())
                    .dropout((float) r.number("dropout", 0.0)).groups(groups)
                    .normEps((float) r.number("norm_eps", 1e-5)).build();
        } catch (UserException e) {
            throw new UserException(source + ": " + e.getMessage());
        }
        r.refuseUnknown();
        try {
            check(c, height, width);
        } catch (UserException e) {
            throw new UserException(source + ": " + e.getMessage());
        }
        return new Imported(c, height, width);
    }

    /** The keys this class reads or writes; any other (not starting with '_') must be null or false. */
    private static final List<String> KNOWN = List.of("sample_size", "in_channels", "out_channels",
            "center_input_sample", "time_embedding_type", "flip_sin_to_cos", "freq_shift", "down_block_types",
            "mid_block_type", "up_block_types", "block_out_channels", "layers_per_block", "mid_block_scale_factor",
            "downsample_padding", "downsample_type", "upsample_type", "dropout", "act_fn", "attention_head_dim",
            "norm_num_groups", "attn_norm_num_groups", "norm_eps", "resnet_time_scale_shift", "add_attention",
            "class_embed_type", "num_class_embeds", "num_train_timesteps", "time_embedding_dim", "time_cond_proj_dim");

    /** Typed reads with one-line errors naming the key. */
    private static final class Reader {
        private final JsonObject o;
        private final String source;

        Reader(JsonObject o, String source) {
            this.o = o;
            this.source = source;
        }

        UserException refuse(String key, String why) {
            return new UserException(source + ": " + key + " = " + o.get(key) + " cannot be imported: " + why);
        }

        private UserException malformed(String key, String expected) {
            return new UserException(source + ": " + key + " = " + o.get(key) + " is not " + expected
                    + "; the file is not a diffusers UNet2DModel configuration");
        }

        void requireString(String key, String expected, boolean required) {
            JsonElement e = o.get(key);
            if (e == null || e.isJsonNull()) {
                if (required) {
                    throw new UserException(source + ": " + key + " is missing; give the config.json of a diffusers"
                            + " UNet2DModel");
                }
                return;
            }
            if (!e.isJsonPrimitive() || !expected.equals(e.getAsString())) {
                throw refuse(key, "only \"" + expected + "\" is supported");
            }
        }

        /** A boolean that must be {@code expected}; absent (or null) means {@code absent}, diffusers' default. */
        void requireValue(String key, boolean expected, boolean absent, String why) {
            JsonElement e = o.get(key);
            boolean value = e == null || e.isJsonNull() ? absent
                    : e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() ? e.getAsBoolean() : !expected;
            if (value != expected) {
                throw refuseValue(key, e == null ? "absent (diffusers' default " + absent + ")" : e.toString(), why);
            }
        }

        /** A number that must equal {@code expected}; absent means {@code absent}, diffusers' default. */
        void requireNumber(String key, double expected, double absent, String why) {
            JsonElement e = o.get(key);
            double value = e == null || e.isJsonNull() ? absent
                    : e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? e.getAsDouble() : Double.NaN;
            if (value != expected) {
                throw refuseValue(key, e == null ? "absent (diffusers' default " + fmt(absent) + ")" : e.toString(), why);
            }
        }

        UserException refuseValue(String key, String value, String why) {
            return new UserException(source + ": " + key + " = " + value + " cannot be imported: " + why);
        }

        private static String fmt(double v) {
            return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
        }

        void requireNull(String key) {
            JsonElement e = o.get(key);
            if (e != null && !e.isJsonNull()) {
                throw refuse(key, "our network has no such part");
            }
        }

        int integer(String key, int absent) {
            JsonElement e = o.get(key);
            if (e == null || e.isJsonNull()) {
                return absent;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsDouble() != Math.rint(e.getAsDouble())
                    || Math.abs(e.getAsDouble()) > Integer.MAX_VALUE) {
                throw malformed(key, "an integer");
            }
            return e.getAsInt();
        }

        double number(String key, double absent) {
            JsonElement e = o.get(key);
            if (e == null || e.isJsonNull()) {
                return absent;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw malformed(key, "a number");
            }
            return e.getAsDouble();
        }

        int[] intArray(String key, boolean required) {
            JsonElement e = o.get(key);
            if (e == null || e.isJsonNull()) {
                throw new UserException(source + ": " + key + " is missing; give the config.json of a diffusers"
                        + " UNet2DModel");
            }
            if (!e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
                throw malformed(key, "a list of integers");
            }
            JsonArray a = e.getAsJsonArray();
            int[] v = new int[a.size()];
            for (int i = 0; i < v.length; i++) {
                JsonElement x = a.get(i);
                if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || x.getAsDouble() < 1
                        || x.getAsDouble() != Math.rint(x.getAsDouble()) || x.getAsDouble() > 1 << 20) {
                    throw malformed(key, "a list of positive integers");
                }
                v[i] = x.getAsInt();
            }
            return v;
        }

        String[] stringArray(String key, int length) {
            JsonElement e = o.get(key);
            if (e == null || !e.isJsonArray()) {
                throw new UserException(source + ": " + key + " is missing or not a list; give the config.json of a"
                        + " diffusers UNet2DModel");
            }
            JsonArray a = e.getAsJsonArray();
            if (a.size() != length) {
                throw refuse(key, "it has " + a.size() + " entries but block_out_channels has " + length);
            }
            String[] v = new String[length];
            for (int i = 0; i < length; i++) {
                if (!a.get(i).isJsonPrimitive()) {
                    throw malformed(key, "a list of block names");
                }
                v[i] = a.get(i).getAsString();
            }
            return v;
        }

        /** True for the attention variant. */
        boolean blockType(String key, String type, String plain, String withAttention) {
            if (type.equals(plain) || type.equals(withAttention)) {
                return type.equals(withAttention);
            }
            throw new UserException(source + ": " + key + " contains \"" + type + "\", which cannot be imported: only "
                    + plain + " and " + withAttention + " are supported");
        }

        int[] sampleSize() {
            JsonElement e = o.get("sample_size");
            if (e == null || e.isJsonNull()) {
                throw new UserException(source + ": sample_size is missing; our network is built for one image size,"
                        + " add \"sample_size\": SIZE to the file");
            }
            if (e.isJsonArray()) {
                int[] hw = intArray("sample_size", true);
                if (hw.length != 2) {
                    throw malformed("sample_size", "an integer or [height, width]");
                }
                return hw;
            }
            int s = integer("sample_size", 0);
            if (s < 1) {
                throw malformed("sample_size", "a positive integer");
            }
            return new int[] {s, s};
        }

        /** Keys we do not know change the network unless null or false; refuse the others. */
        void refuseUnknown() {
            for (Map.Entry<String, JsonElement> e : o.entrySet()) {
                String k = e.getKey();
                JsonElement v = e.getValue();
                boolean harmless = v.isJsonNull() || (v.isJsonPrimitive() && v.getAsJsonPrimitive().isBoolean()
                        && !v.getAsBoolean());
                if (!k.startsWith("_") && !KNOWN.contains(k) && !harmless) {
                    throw refuse(k, "diffusion4j does not know this UNet2DModel option");
                }
            }
        }
    }

    static JsonArray ints(int... v) {
        JsonArray a = new JsonArray();
        Arrays.stream(v).forEach(a::add);
        return a;
    }

    static String pretty(JsonObject o) {
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    private static String join(int[] a) {
        return String.join(",", Arrays.stream(a).mapToObj(i -> String.format(Locale.ROOT, "%d", i)).toList());
    }
}
