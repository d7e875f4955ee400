package org.diffusion4j.ddpm.net;

import org.diffusion4j.nn.GroupNorm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;

/**
 * Net2WiderNet (Chen, Goodfellow and Shlens, 2016) for the U-Net: sets the weights of a U-Net
 * whose levels have integer multiples of another's channels (the same base C, blocks, attention
 * and groups) so that it computes the same function, and training the wider net starts from what
 * the smaller one learned instead of from scratch.
 *
 * <ul>
 *   <li>A level widened f times gets f copies of each channel: new channel j copies old channel
 *       j / f, so each old GroupNorm group becomes one new group of the same channels (the same
 *       mean and variance).
 *   <li>A layer that reads widened channels splits each old incoming weight over the copies, with
 *       random shares that sum to 1: its output is unchanged, and the copies get different
 *       gradients, so they can grow apart.
 *   <li>Attention's q is scaled by 1/sqrt(f): q.k summed over f copies is f times larger, while
 *       the logits' 1/sqrt(c) shrinks only sqrt(f) times.
 *   <li>A residual block whose skip was the identity and now changes width gets a 1x1 shortcut
 *       that copies each channel.
 * </ul>
 *
 * <p>The copy is exact except where a residual block's GroupNorm reads a concatenation of two
 * levels widened by different factors (the skip connections of the up path): there a group mixes
 * channels in other proportions than before, and the function changes a little.
 */
public final class UNetWidener {
    private final Random random;

    private UNetWidener(long seed) {
        this.random = new Random(seed);
    }

    /**
     * Copies {@code from}'s weights into {@code to} (both initialised), widened as described.
     *
     * @throws UserException if {@code to} is not a widening of {@code from}
     */
    public static void widen(UNet from, UNet to, long seed) {
        checkWidening(from.config(), to.config());
        if (from.height() != to.height() || from.width() != to.width()) {
            throw new UserException("the two U-Nets are built for different image sizes");
        }
        new UNetWidener(seed).copy(from, to);
    }

    /** Throws a UserException unless {@code to} differs from {@code from} only by whole multiples of the level widths. */
    public static void checkWidening(UNetConfig from, UNetConfig to) {
        String oldMult = Arrays.toString(from.chMult()).replaceAll("[\\[\\] ]", "");
        String newMult = Arrays.toString(to.chMult()).replaceAll("[\\[\\] ]", "");
        if (from.levels() != to.levels()) {
            throw new InvalidArgumentException("chMult", newMult, "must have " + from.levels()
                    + " multipliers: a U-Net can only be widened level by level (the trained net has " + oldMult + ")");
        }
        if (from.inChannels() != to.inChannels() || from.outChannels() != to.outChannels() || from.ch() != to.ch()
                || from.numResBlocks() != to.numResBlocks()
                || !Arrays.equals(from.attnResolutions(), to.attnResolutions()) || from.groups() != to.groups()) {
            throw new UserException("a U-Net can only be widened level by level: keep its channels in and out, base"
                    + " channels (" + from.ch() + "), blocks, attention and groups, and change only chMult");
        }
        for (int i = 0; i < from.levels(); i++) {
            if (to.channels(i) < from.channels(i) || to.channels(i) % from.channels(i) != 0) {
                throw new InvalidArgumentException("chMult", newMult, "gives " + to.channels(i) + " channels where level "
                        + i + " has " + from.channels(i) + " channels; a wider net needs a whole multiple of them ("
                        + oldMult + " times whole numbers)");
            }
        }
    }

    /** Where the channels of a feature map come from: new channel j is old channel {@code old[j]} of {@code oldSize}. */
    private static final class Layout {
        final int[] old;
        final int oldSize;

        Layout(int[] old, int oldSize) {
            this.old = old;
            this.oldSize = oldSize;
        }

        static Layout same(int n) {
            return widened(n, n);
        }

        /** f = newSize / oldSize copies of each channel, side by side (j -> j / f). */
        static Layout widened(int oldSize, int newSize) {
            int f = newSize / oldSize;
            int[] m = new int[newSize];
            for (int j = 0; j < newSize; j++) {
                m[j] = j / f;
            }
            return new Layout(m, oldSize);
        }

        /** The channels of {@code a} then those of {@code b} (torch.cat on the channel axis). */
        Layout concat(Layout b) {
            int[] m = Arrays.copyOf(old, old.length + b.old.length);
            for (int j = 0; j < b.old.length; j++) {
                m[old.length + j] = oldSize + b.old[j];
            }
            return new Layout(m, oldSize + b.oldSize);
        }

        int size() {
            return old.length;
        }
    }

    private void copy(UNet from, UNet to) {
        UNetConfig c = from.config();
        leaf(from.timeEmbedding(), to.timeEmbedding(), null, null, 1);
        Layout h = Layout.same(c.ch());
        leaf(from.convIn(), to.convIn(), h, Layout.same(c.inChannels()), 1);
        List<UNet.Step> oldSteps = from.steps();
        List<UNet.Step> newSteps = to.steps();
        for (int s = 0; s < newSteps.size(); s++) {
            Block o = oldSteps.get(s).block();
            Block n = newSteps.get(s).block();
            UNetGraph.Node oldNode = oldSteps.get(s).node();
            UNetGraph.Node newNode = newSteps.get(s).node();
            Layout in = input(oldNode, newNode);
            switch (newNode.kind()) {
                case DOWN_RES, MID_RES, UP_RES -> h = resBlock((ResBlock) o, (ResBlock) n, in);
                case DOWN_ATTN, MID_ATTN, UP_ATTN -> attention(o, n, in);
                case DOWNSAMPLE -> leaf(o, n, in, in, 1);
                case UPSAMPLE -> leaf(child(o, "conv"), child(n, "conv"), in, in, 1);
            }
        }
        leaf(from.normOut(), to.normOut(), h, null, 1);
        leaf(from.convOut(), to.convOut(), Layout.same(c.outChannels()), h, 1);
    }

    /**
     * The layout of a block's input: each feature map is its level's old channels widened, and an
     * up-path block reads the previous output then the skip, concatenated.
     */
    private static Layout input(UNetGraph.Node o, UNetGraph.Node n) {
        Layout main = Layout.widened(o.inChannels() - o.skipChannels(), n.inChannels() - n.skipChannels());
        return n.skipChannels() == 0 ? main : main.concat(Layout.widened(o.skipChannels(), n.skipChannels()));
    }

    /** ResBlock(a, b) of unet.md: returns the layout of its output. */
    private Layout resBlock(ResBlock o, ResBlock n, Layout in) {
        Layout out = Layout.widened(o.outChannels(), n.outChannels());
        leaf(child(o, "norm0"), child(n, "norm0"), in, null, 1);
        leaf(child(o, "conv0"), child(n, "conv0"), out, in, 1);
        leaf(child(o, "temb_proj"), child(n, "temb_proj"), out, null, 1);
        leaf(child(o, "norm1"), child(n, "norm1"), out, null, 1);
        leaf(child(o, "conv1"), child(n, "conv1"), out, out, 1);
        boolean had = childOrNull(o, "nin_shortcut") != null;
        boolean has = childOrNull(n, "nin_shortcut") != null;
        if (had && has) {
            leaf(child(o, "nin_shortcut"), child(n, "nin_shortcut"), out, in, 1);
        } else if (has) {
            identityShortcut(child(n, "nin_shortcut"), out, in);
        } else if (had) {
            throw new UserException("a residual block with " + o.inChannels() + " -> " + o.outChannels()
                    + " channels would lose its 1x1 shortcut in the wider net; choose other multipliers");
        }
        return out;
    }

    private void attention(Block o, Block n, Layout l) {
        leaf(child(o, "norm"), child(n, "norm"), l, null, 1);
        double f = (double) l.size() / l.oldSize;
        leaf(child(o, "q"), child(n, "q"), l, l, 1 / Math.sqrt(f));
        leaf(child(o, "k"), child(n, "k"), l, l, 1);
        leaf(child(o, "v"), child(n, "v"), l, l, 1);
        leaf(child(o, "proj_out"), child(n, "proj_out"), l, l, 1);
    }

    /** The child block of that name (DJL keys children "NNname", numbered in order of addition). */
    private static Block child(Block b, String name) {
        Block c = childOrNull(b, name);
        if (c == null) {
            throw new IllegalStateException(b.getClass().getSimpleName() + " has no child " + name);
        }
        return c;
    }

    private static Block childOrNull(Block b, String name) {
        for (Pair<String, Block> c : b.getChildren()) {
            if (c.getKey().substring(2).equals(name)) {
                return c.getValue();
            }
        }
        return null;
    }

    /** Random shares of each old input channel over its copies, summing to 1 per old channel. */
    private double[] shares(Layout in) {
        double[] w = new double[in.size()];
        double[] sum = new double[in.oldSize];
        for (int p = 0; p < w.length; p++) {
            w[p] = 1 + 0.2 * (2 * random.nextDouble() - 1);
            sum[in.old[p]] += w[p];
        }
        for (int p = 0; p < w.length; p++) {
            w[p] /= sum[in.old[p]];
        }
        return w;
    }

    /**
     * A layer with weights [out, in, ...] and 1-D parameters over {@code out} (bias, GroupNorm's
     * gamma and beta): new[j, p, ...] = scale * share[p] * old[out(j), in(p), ...]. A null layout
     * keeps that axis as it is.
     */
    private void leaf(Block o, Block n, Layout out, Layout in, double scale) {
        for (Pair<String, Parameter> e : n.getParameters()) {
            NDArray target = e.getValue().getArray();
            NDArray source = o.getParameters().get(e.getKey()).getArray();
            long[] ns = target.getShape().getShape();
            long[] os = source.getShape().getShape();
            Layout outL = out == null ? Layout.same((int) os[0]) : out;
            Layout inL = ns.length == 1 ? null : in == null ? Layout.same((int) os[1]) : in;
            if (ns[0] != outL.size() || os[0] != outL.oldSize
                    || inL != null && (ns[1] != inL.size() || os[1] != inL.oldSize)) {
                throw new IllegalStateException(e.getKey() + ": cannot widen " + Arrays.toString(os) + " to " + Arrays.toString(ns));
            }
            float[] src = source.toFloatArray();
            float[] dst = new float[(int) target.size()];
            if (inL == null) {
                for (int j = 0; j < ns[0]; j++) {
                    dst[j] = (float) (scale * src[outL.old[j]]);
                }
            } else {
                double[] share = in == null ? null : shares(inL);
                int k = (int) (src.length / (os[0] * os[1])); // kernel elements
                for (int j = 0; j < ns[0]; j++) {
                    for (int p = 0; p < ns[1]; p++) {
                        double w = scale * (share == null ? 1 : share[p]);
                        int from = (int) ((outL.old[j] * os[1] + inL.old[p]) * k);
                        int at = (int) ((j * ns[1] + p) * k);
                        for (int q = 0; q < k; q++) {
                            dst[at + q] = (float) (w * src[from + q]);
                        }
                    }
                }
            }
            set(target, dst);
        }
    }

    /** A 1x1 convolution [out, in, 1, 1] that passes old channel k on, split over its input copies. */
    private void identityShortcut(Block n, Layout out, Layout in) {
        double[] share = shares(in);
        for (Pair<String, Parameter> e : n.getParameters()) {
            NDArray target = e.getValue().getArray();
            float[] dst = new float[(int) target.size()];
            if (target.getShape().dimension() == 4) {
                for (int j = 0; j < out.size(); j++) {
                    for (int p = 0; p < in.size(); p++) {
                        if (in.old[p] == out.old[j]) {
                            dst[j * in.size() + p] = (float) share[p];
                        }
                    }
                }
            }
            set(target, dst); // the bias stays 0
        }
    }

    private static void set(NDArray target, float[] values) {
        NDManager m = target.getManager();
        try (NDManager sub = m.newSubManager(); NDArray v = sub.create(values, new Shape(target.getShape().getShape()))) {
            v.copyTo(target);
        }
    }
}
