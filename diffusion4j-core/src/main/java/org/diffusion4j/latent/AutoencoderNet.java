package org.diffusion4j.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.nn.GroupNorm;
import org.diffusion4j.nn.Layers;
import org.diffusion4j.nn.Upsample;

/**
 * The autoencoder's network: {@code encoder} maps x [B,C,H,W] in [-1, 1] to z [B,Lc,H/2^L,W/2^L],
 * {@code decoder} maps z back; its own forward is the reconstruction decoder(encoder(x)).
 * Encoder: conv3(h0), then per level a {@link ResUnit} and a stride-2 conv3, then act(GN) and a
 * 1x1 convolution to the latent channels. Decoder: the mirror, with nearest-neighbour x2
 * upsampling and conv3 in place of the strided convolutions, ending in act(GN) and conv3(C).
 */
public final class AutoencoderNet extends AbstractBlock {
    private static final byte VERSION = 1;

    private final AutoencoderConfig config;
    private final Stack encoder;
    private final Stack decoder;

    public AutoencoderNet(AutoencoderConfig config) {
        super(VERSION);
        this.config = config;
        int[] h = config.hidden();
        int g = config.groups();
        List<Block> enc = new ArrayList<>();
        enc.add(Layers.conv3(h[0]));
        int c = h[0];
        for (int hi : h) {
            enc.add(new ResUnit(c, hi, g));
            enc.add(Layers.down(hi));
            c = hi;
        }
        enc.add(new Head(c, config.latentChannels(), g, true));
        List<Block> dec = new ArrayList<>();
        dec.add(Layers.conv3(c));
        for (int i = h.length - 1; i >= 0; i--) {
            dec.add(new ResUnit(c, h[i], g));
            dec.add(new Upsample(h[i]));
            c = h[i];
        }
        dec.add(new ResUnit(c, c, g));
        dec.add(new Head(c, config.channels(), g, false));
        encoder = addChildBlock("encoder", new Stack(enc));
        decoder = addChildBlock("decoder", new Stack(dec));
    }

    public AutoencoderConfig config() {
        return config;
    }

    public Block encoder() {
        return encoder;
    }

    public Block decoder() {
        return decoder;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return decoder.forward(ps, encoder.forward(ps, inputs, training), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return decoder.getOutputShapes(encoder.getOutputShapes(inputShapes));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder.initialize(manager, dataType, inputShapes);
        decoder.initialize(manager, dataType, encoder.getOutputShapes(inputShapes));
    }

    /** Blocks applied in turn (DJL's SequentialBlock, with the children named by their place). */
    static final class Stack extends AbstractBlock {
        private final List<Block> blocks = new ArrayList<>();

        Stack(List<Block> children) {
            super(VERSION);
            for (int i = 0; i < children.size(); i++) {
                blocks.add(addChildBlock(String.format("%02d", i), children.get(i)));
            }
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDList x = inputs;
            for (Block b : blocks) {
                x = b.forward(ps, x, training);
            }
            return x;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] s = inputShapes;
            for (Block b : blocks) {
                s = b.getOutputShapes(s);
            }
            return s;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] s = inputShapes;
            for (Block b : blocks) {
                b.initialize(manager, dataType, s);
                s = b.getOutputShapes(s);
            }
        }
    }

    /** act(GN(x)), then a convolution to {@code out} channels (1x1 into the latent, 3x3 into the image). */
    static final class Head extends AbstractBlock {
        private final GroupNorm norm;
        private final Block conv;

        Head(int in, int out, int groups, boolean pointwise) {
            super(VERSION);
            norm = addChildBlock("norm", new GroupNorm(groups));
            conv = addChildBlock("conv", pointwise ? Layers.nin(out) : Layers.conv3(out));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray h = Layers.silu(norm.forward(ps, inputs, training).head());
            return conv.forward(ps, new NDList(h), training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return conv.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            norm.initialize(manager, dataType, inputShapes);
            conv.initialize(manager, dataType, inputShapes);
        }
    }
}
