package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.GroupNorm;
import org.diffusion4j.nn.Layers;
import org.diffusion4j.nn.LowPrecision;
import org.diffusion4j.nn.Upsample;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.UserException;

/**
 * The DDPM noise-prediction U-Net of {@code docs/unet.md}, built from a {@link UNetConfig} for a
 * fixed image size (the size decides which levels get self-attention).
 *
 * <p>Input: {@code NDList(x [B, inChannels, H, W] float32, tIndex [B])} with tIndex the 0-based
 * step (int or float), and for a class-conditional net ({@link UNetConfig#numClasses()} > 0)
 * optionally labels {@code y [B]} in 0..K (K, or no y at all: the null class). Output: {@code
 * NDList(eps [B, outChannels, H, W])}.
 *
 * <p>A conditional net adds its {@link ClassEmbedding} E[y] to the time-embedding MLP's output,
 * before the SiLU that feeds the residual blocks; E starts at zero, so with E = 0 it computes
 * exactly the function of the unconditional net with the same other weights. The class
 * embedding is registered last, so the other parameters keep the unconditional net's order.
 *
 * <p>Parameters use DJL's defaults (Xavier/He-normal weights, zero biases, GroupNorm scale 1 and
 * shift 0); nothing is zero-initialised so every parameter receives gradient from the start.
 * Child blocks are registered in graph order, so {@link #saveParameters} / {@link
 * #loadParameters} are stable for a given configuration and size.
 */
public final class UNet extends AbstractBlock {
    private static final byte VERSION = 1;

    /** A block of the graph and the node of {@link UNetGraph} it was built from (package-private for {@link UNetWidener}). */
    record Step(UNetGraph.Node node, Block block) {}

    private final UNetConfig config;
    private final int height;
    private final int width;
    private final TimeEmbedding temb;
    private final Conv2d convIn;
    private final List<Step> steps = new ArrayList<>();
    private final GroupNorm normOut;
    private final Conv2d convOut;
    private final ClassEmbedding classEmb;

    /**
     * Builds the U-Net for images of the given size.
     *
     * @throws UserException if the configuration does not fit the size
     */
    public UNet(UNetConfig config, int height, int width) {
        super(VERSION);
        config.validate(height, width);
        this.config = config;
        this.height = height;
        this.width = width;
        temb = addChildBlock("temb", new TimeEmbedding(config.ch()));
        convIn = addChildBlock("conv_in", Layers.conv3(config.ch()));
        for (UNetGraph.Node n : UNetGraph.nodes(config, height, width)) {
            steps.add(new Step(n, addChildBlock(n.name(), block(n))));
        }
        normOut = addChildBlock("norm_out", new GroupNorm(config.groups(), config.normEps()));
        convOut = addChildBlock("conv_out", Layers.conv3(config.outChannels()));
        classEmb = config.isConditional()
                ? addChildBlock("class_emb", new ClassEmbedding(config.numClasses(), config.tembDim())) : null;
    }

    private Block block(UNetGraph.Node n) {
        return switch (n.kind()) {
            case DOWN_RES, MID_RES, UP_RES -> new ResBlock(n.inChannels(), n.outChannels(), config.dropout(), config.groups(),
                    config.normEps());
            case DOWN_ATTN, MID_ATTN, UP_ATTN -> new SelfAttention(n.outChannels(), config.groups(), config.normEps());
            case DOWNSAMPLE -> Layers.down(n.outChannels());
            case UPSAMPLE -> new Upsample(n.outChannels());
        };
    }

    public UNetConfig config() {
        return config;
    }

    /** The steps between conv_in and norm_out, in graph order. */
    List<Step> steps() {
        return java.util.Collections.unmodifiableList(steps);
    }

    Block timeEmbedding() {
        return temb;
    }

    Block convIn() {
        return convIn;
    }

    Block normOut() {
        return normOut;
    }

    Block convOut() {
        return convOut;
    }

    /** The image height this network was built for. */
    public int height() {
        return height;
    }

    /** The image width this network was built for. */
    public int width() {
        return width;
    }

    private void checkInput(Shape x) {
        if (x.dimension() != 4 || x.get(1) != config.inChannels() || x.get(2) != height
                || x.get(3) != width) {
            throw new UserException(
                    "the U-Net was built for images of shape [B, " + config.inChannels() + ", "
                            + height + ", " + width + "] but got " + x
                            + "; use a model configured for this image size and channel count");
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = LowPrecision.toCompute(inputs.get(0));
        checkInput(x.getShape());
        NDArray t = inputs.get(1);
        NDArray actTemb = Layers.silu(conditioned(ps, temb.forward(ps, new NDList(t), training).head(), inputs, training));
        List<NDArray> hs = new ArrayList<>();
        hs.add(convIn.forward(ps, new NDList(x), training).head());
        NDArray h = null;
        for (Step step : steps) {
            Block b = step.block();
            switch (step.node().kind()) {
                case DOWN_RES:
                    hs.add(b.forward(ps, new NDList(hs.get(hs.size() - 1), actTemb), training).head());
                    break;
                case DOWN_ATTN:
                    hs.set(hs.size() - 1,
                            b.forward(ps, new NDList(hs.get(hs.size() - 1)), training).head());
                    break;
                case DOWNSAMPLE:
                    hs.add(b.forward(ps, new NDList(hs.get(hs.size() - 1)), training).head());
                    break;
                case MID_RES: // the first one starts from hs.last (h is null until then)
                    h = b.forward(ps, new NDList(h == null ? hs.get(hs.size() - 1) : h, actTemb),
                            training).head();
                    break;
                case MID_ATTN:
                case UP_ATTN:
                case UPSAMPLE:
                    h = b.forward(ps, new NDList(h), training).head();
                    break;
                case UP_RES:
                    NDArray skip = hs.remove(hs.size() - 1);
                    h = b.forward(ps, new NDList(h.concat(skip, 1), actTemb), training).head();
                    break;
                default:
                    throw new IllegalStateException(step.node().kind().toString());
            }
        }
        h = Layers.silu(normOut.forward(ps, new NDList(h), training).head());
        return convOut.forward(ps, new NDList(h), training);
    }

    /** The time embedding plus, for a conditional net, E[y] (y absent: the null class). */
    private NDArray conditioned(ParameterStore ps, NDArray embedding, NDList inputs, boolean training) {
        if (classEmb == null) {
            return embedding;
        }
        NDArray y = inputs.size() > 2 ? inputs.get(2)
                : embedding.getManager().full(new Shape(embedding.getShape().get(0)), config.nullClass(), DataType.INT32);
        return embedding.add(classEmb.forward(ps, new NDList(y), training).head());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {new Shape(x.get(0), config.outChannels(), x.get(2), x.get(3))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        checkInput(x);
        long batch = x.get(0);
        temb.initialize(manager, dataType, new Shape(batch));
        Shape tShape = temb.getOutputShapes(new Shape[] {new Shape(batch)})[0];
        Shape h = init(convIn, manager, dataType, x);
        // every block's input shape is its node's: channels (skip included) at the node's size
        for (Step step : steps) {
            UNetGraph.Node n = step.node();
            Shape in = new Shape(batch, n.inChannels(), n.height(), n.width());
            h = n.isResBlock() ? init(step.block(), manager, dataType, in, tShape) : init(step.block(), manager, dataType, in);
        }
        h = init(normOut, manager, dataType, h);
        init(convOut, manager, dataType, h);
        if (classEmb != null) {
            classEmb.initialize(manager, dataType, new Shape(batch));
        }
    }

    private static Shape init(Block b, NDManager manager, DataType dataType, Shape... shapes) {
        b.initialize(manager, dataType, shapes);
        return b.getOutputShapes(shapes)[0];
    }

    /**
     * Loads parameters saved by {@link #saveParameters}, re-enables their gradients (so training
     * can resume without another {@code initialize}) and checks the total parameter count
     * against this configuration.
     *
     * @throws UserException if the saved parameters belong to a differently sized network
     */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        for (Parameter p : getParameters().values()) {
            if (p.isInitialized() && p.requiresGradient()) {
                p.getArray().setRequiresGradient(true);
            }
        }
        long expect = config.parameterCount(height, width);
        long got = parameterCount();
        if (got != expect) {
            throw new UserException(
                    "the saved parameters (" + got + ") do not fit this U-Net configuration ("
                            + expect + " parameters); load the checkpoint with the configuration it was saved with");
        }
    }

    /** The number of scalar parameters of this (initialised or loaded) block. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : getParameters().values()) {
            n += p.isInitialized() ? p.getArray().size() : 0;
        }
        return n;
    }
}
