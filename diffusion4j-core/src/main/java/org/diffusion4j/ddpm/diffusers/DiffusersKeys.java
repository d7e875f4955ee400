package org.diffusion4j.ddpm.diffusers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.diffusion4j.ddpm.net.UNetConfig;

/**
 * Every parameter of our U-Net ({@code docs/unet.md}) under its key in the state dict of
 * diffusers' {@code UNet2DModel} built from the same configuration ({@code docs/diffusers.md}).
 * The walk follows {@code UNet2DModel.__init__}: time embedding, conv_in, the down blocks (resnets,
 * attentions, downsampler), the middle block, the up blocks (top level first), conv_norm_out,
 * conv_out. The only reshape: our attention projections are 1x1 convolutions [c, c, 1, 1] where
 * diffusers has Linear layers [c, c]; the numbers are the same.
 */
public final class DiffusersKeys {
    private DiffusersKeys() {}

    /**
     * One parameter.
     *
     * @param ours our parameter's path: the child-block names of {@code docs/unet.md} joined by '_'
     *     (DJL's ordinal prefixes removed, see {@link #canonical})
     * @param diffusers diffusers' state-dict key
     * @param ourShape its shape in our network
     * @param diffusersShape its shape in diffusers' (differs only for attention projections)
     */
    public record Key(String ours, String diffusers, long[] ourShape, long[] diffusersShape) {
        public Key {
            ourShape = ourShape.clone();
            diffusersShape = diffusersShape.clone();
        }

        @Override
        public long[] ourShape() {
            return ourShape.clone();
        }

        @Override
        public long[] diffusersShape() {
            return diffusersShape.clone();
        }

        /** Number of scalars. */
        public long size() {
            return Arrays.stream(diffusersShape).reduce(1, (a, b) -> a * b);
        }
    }

    /**
     * The keys of the U-Net built for this configuration and image size, in diffusers' module
     * order. The configuration must be exportable ({@link DiffusersConfig#check}).
     */
    public static List<Key> of(UNetConfig c, int height, int width) {
        DiffusersConfig.check(c, height, width);
        List<Key> k = new ArrayList<>();
        long ch = c.ch();
        long temb = c.tembDim();
        linear(k, "temb_dense0", "time_embedding.linear_1", ch, temb);
        linear(k, "temb_dense1", "time_embedding.linear_2", temb, temb);
        conv(k, "conv_in", "conv_in", c.inChannels(), ch, 3);
        int levels = c.levels();
        long prev = ch;
        for (int i = 0; i < levels; i++) {
            long ci = c.channels(i);
            boolean attn = c.hasAttention(height >> i);
            for (int j = 0; j < c.numResBlocks(); j++) {
                resnet(k, "down" + i + "_res" + j, "down_blocks." + i + ".resnets." + j, j == 0 ? prev : ci, ci, temb);
                if (attn) {
                    attention(k, "down" + i + "_attn" + j, "down_blocks." + i + ".attentions." + j, ci);
                }
            }
            if (i < levels - 1) {
                conv(k, "down" + i + "_downsample", "down_blocks." + i + ".downsamplers.0.conv", ci, ci, 3);
            }
            prev = ci;
        }
        resnet(k, "mid_res0", "mid_block.resnets.0", prev, prev, temb);
        attention(k, "mid_attn", "mid_block.attentions.0", prev);
        resnet(k, "mid_res1", "mid_block.resnets.1", prev, prev, temb);
        // UpBlock2D: resnet j takes the previous output (j = 0: the block below's) concatenated with a
        // skip of c_i channels, except the last, whose skip comes from the level below
        // (reversed_block_out_channels[min(k + 1, L - 1)]).
        for (int up = 0; up < levels; up++) {
            int i = levels - 1 - up;
            long ci = c.channels(i);
            long lastSkip = c.channels(Math.max(i - 1, 0));
            boolean attn = c.hasAttention(height >> i);
            for (int j = 0; j <= c.numResBlocks(); j++) {
                long skip = j == c.numResBlocks() ? lastSkip : ci;
                long in = (j == 0 ? prev : ci) + skip;
                resnet(k, "up" + i + "_res" + j, "up_blocks." + up + ".resnets." + j, in, ci, temb);
                if (attn) {
                    attention(k, "up" + i + "_attn" + j, "up_blocks." + up + ".attentions." + j, ci);
                }
            }
            if (up < levels - 1) {
                conv(k, "up" + i + "_upsample_conv", "up_blocks." + up + ".upsamplers.0.conv", ci, ci, 3);
            }
            prev = ci;
        }
        norm(k, "norm_out", "conv_norm_out", ch);
        conv(k, "conv_out", "conv_out", ch, c.outChannels(), 3);
        return Collections.unmodifiableList(k);
    }

    /**
     * Our parameter path from DJL's parameter name: DJL prefixes each child block's name with its
     * ordinal, at least two digits ("03down0_res0_01norm0_gamma"); without them the name is the
     * path of {@code docs/unet.md} ("down0_res0_norm0_gamma"). No name of ours starts with a digit.
     */
    public static String canonical(String djlName) {
        return djlName.replaceAll("(^|_)\\d{2,}(?=[^\\d_])", "$1");
    }

    /** ResnetBlock2D(a, b): norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut (a 1x1 conv, a != b). */
    private static void resnet(List<Key> k, String ours, String key, long a, long b, long temb) {
        norm(k, ours + "_norm0", key + ".norm1", a);
        conv(k, ours + "_conv0", key + ".conv1", a, b, 3);
        linear(k, ours + "_temb_proj", key + ".time_emb_proj", temb, b);
        norm(k, ours + "_norm1", key + ".norm2", b);
        conv(k, ours + "_conv1", key + ".conv2", b, b, 3);
        if (a != b) {
            conv(k, ours + "_nin_shortcut", key + ".conv_shortcut", a, b, 1);
        }
    }

    /** Attention (one head of c channels): group_norm, to_q, to_k, to_v, to_out.0 (Linear [c, c]). */
    private static void attention(List<Key> k, String ours, String key, long c) {
        norm(k, ours + "_norm", key + ".group_norm", c);
        for (String[] p : new String[][] {{"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}}) {
            k.add(new Key(ours + "_" + p[0] + "_weight", key + "." + p[1] + ".weight", new long[] {c, c, 1, 1},
                    new long[] {c, c}));
            k.add(new Key(ours + "_" + p[0] + "_bias", key + "." + p[1] + ".bias", new long[] {c}, new long[] {c}));
        }
    }

    private static void norm(List<Key> k, String ours, String key, long c) {
        k.add(same(ours + "_gamma", key + ".weight", c));
        k.add(same(ours + "_beta", key + ".bias", c));
    }

    private static void conv(List<Key> k, String ours, String key, long in, long out, long kernel) {
        k.add(same(ours + "_weight", key + ".weight", out, in, kernel, kernel));
        k.add(same(ours + "_bias", key + ".bias", out));
    }

    private static void linear(List<Key> k, String ours, String key, long in, long out) {
        k.add(same(ours + "_weight", key + ".weight", out, in));
        k.add(same(ours + "_bias", key + ".bias", out));
    }

    private static Key same(String ours, String key, long... shape) {
        return new Key(ours, key, shape, shape);
    }
}
