package org.diffusion4j.ddpm.net;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The one description of the U-Net graph of {@code docs/unet.md}: the blocks between conv_in and
 * norm_out in order, each with its channels and the feature-map size it works at. {@link UNet}
 * builds and initialises from it, {@link UNetConfig} counts parameters and FLOPs over it and
 * {@link UNetWidener} maps weights along it.
 */
final class UNetGraph {
    private UNetGraph() {}

    /** What a block does with the feature maps. */
    enum Kind {
        DOWN_RES, // ResBlock on hs.last, push
        DOWN_ATTN, // attention on the last pushed entry (replaces it)
        DOWNSAMPLE, // Down on hs.last, push
        MID_RES, // the first one starts from hs.last
        MID_ATTN,
        UP_RES, // concat(h, hs.pop()) then ResBlock
        UP_ATTN,
        UPSAMPLE
    }

    /**
     * One block. {@code inChannels} includes the concatenated skip ({@code skipChannels}, 0
     * except for UP_RES); {@code height} and {@code width} are those of the block's input.
     */
    record Node(Kind kind, String name, int inChannels, int skipChannels, int outChannels, int height, int width) {
        boolean isResBlock() {
            return kind == Kind.DOWN_RES || kind == Kind.MID_RES || kind == Kind.UP_RES;
        }

        boolean isAttention() {
            return kind == Kind.DOWN_ATTN || kind == Kind.MID_ATTN || kind == Kind.UP_ATTN;
        }
    }

    /** The blocks for images of this size (the size decides where attention goes). */
    static List<Node> nodes(UNetConfig config, int height, int width) {
        config.validate(height, width);
        List<Node> out = new ArrayList<>();
        List<Integer> hs = new ArrayList<>(); // channels of the skip connections, as in forward
        hs.add(config.ch());
        int prev = config.ch();
        int h = height;
        int w = width;
        int levels = config.levels();
        for (int i = 0; i < levels; i++) {
            int c = config.channels(i);
            for (int j = 0; j < config.numResBlocks(); j++) {
                out.add(new Node(Kind.DOWN_RES, "down" + i + "_res" + j, prev, 0, c, h, w));
                if (config.hasAttention(h)) {
                    out.add(new Node(Kind.DOWN_ATTN, "down" + i + "_attn" + j, c, 0, c, h, w));
                }
                prev = c;
                hs.add(c);
            }
            if (i != levels - 1) {
                out.add(new Node(Kind.DOWNSAMPLE, "down" + i + "_downsample", c, 0, c, h, w));
                hs.add(c);
                h /= 2;
                w /= 2;
            }
        }
        out.add(new Node(Kind.MID_RES, "mid_res0", prev, 0, prev, h, w));
        out.add(new Node(Kind.MID_ATTN, "mid_attn", prev, 0, prev, h, w));
        out.add(new Node(Kind.MID_RES, "mid_res1", prev, 0, prev, h, w));
        for (int i = levels - 1; i >= 0; i--) {
            int c = config.channels(i);
            for (int j = 0; j < config.numResBlocks() + 1; j++) {
                int skip = hs.remove(hs.size() - 1);
                out.add(new Node(Kind.UP_RES, "up" + i + "_res" + j, prev + skip, skip, c, h, w));
                if (config.hasAttention(h)) {
                    out.add(new Node(Kind.UP_ATTN, "up" + i + "_attn" + j, c, 0, c, h, w));
                }
                prev = c;
            }
            if (i != 0) {
                out.add(new Node(Kind.UPSAMPLE, "up" + i + "_upsample", c, 0, c, h, w));
                h *= 2;
                w *= 2;
            }
        }
        return Collections.unmodifiableList(out);
    }
}
