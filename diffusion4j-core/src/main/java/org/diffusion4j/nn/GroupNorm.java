package org.diffusion4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.concurrent.ConcurrentHashMap;
import org.diffusion4j.UserException;

/**
 * Group normalisation (Wu &amp; He 2018) over an input [B, C, ...]: the C channels are split into
 * {@code groups} groups, each group of each sample is normalised to zero mean and unit (biased)
 * variance over its C/G channels and all spatial positions, with eps (default {@value #EPS}) added
 * to the variance, then a learned per-channel scale gamma (initialised to 1) and shift beta
 * (initialised to 0) is applied.
 *
 * <p>Implementation: the input is viewed as [B, G, C/G * H * W] and normalised by PyTorch's fused
 * layer-norm kernel over the last axis (one pass, one native call); the kernel's element-wise
 * affine is fed a cached all-ones/all-zeros pair (one per normalised length, created once); the
 * per-channel gamma and beta are then applied by PyTorch's inference-mode batch-norm kernel with
 * mean 0, variance 1 and eps 0, i.e. exactly y * gamma + beta in one fused pass. Two kernels in
 * all, forward and backward.
 */
public final class GroupNorm extends AbstractBlock {
    /** The default variance epsilon, as in PyTorch's {@code nn.GroupNorm} default. */
    public static final float EPS = 1e-5f;

    private static final byte VERSION = 1;

    private final int groups;
    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;

    /** Identity affine for the layer-norm kernel, keyed by normalised length. */
    private final transient ConcurrentHashMap<Long, NDArray[]> identity = new ConcurrentHashMap<>();

    /** GroupNorm with the default epsilon {@value #EPS}. */
    public GroupNorm(int groups) {
        this(groups, EPS);
    }

    /** @param eps the variance epsilon (> 0) */
    public GroupNorm(int groups, float eps) {
        super(VERSION);
        if (groups < 1) {
            throw new IllegalArgumentException("groups must be >= 1");
        }
        if (!(eps > 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be a finite number > 0, got " + eps);
        }
        this.groups = groups;
        this.eps = eps;
        gamma = addParameter(
                Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA).build());
        beta = addParameter(
                Parameter.builder().setName("beta").setType(Parameter.Type.BETA).build());
    }

    public int groups() {
        return groups;
    }

    /** The variance epsilon. */
    public float eps() {
        return eps;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        long c = inputShapes[0].get(1);
        checkChannels(c);
        gamma.setShape(new Shape(c));
        beta.setShape(new Shape(c));
    }

    private void checkChannels(long c) {
        if (c % groups != 0) {
            throw new UserException(
                    "GroupNorm: " + groups + " groups do not divide " + c
                            + " channels; choose a groups value that divides every channel count");
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Device device = x.getDevice();
        return new NDList(
                forward(x, ps.getValue(gamma, device, training), ps.getValue(beta, device, training)));
    }

    /** Normalises x [B, C, ...] with per-channel gamma and beta [C]. */
    NDArray forward(NDArray x, NDArray g, NDArray b) {
        Shape shape = x.getShape();
        long batch = shape.get(0);
        long c = shape.get(1);
        checkChannels(c);
        long n = shape.size() / (batch * groups);
        NDArray[] id = identity(n, g);
        NDArray[] stats = identity(-c, g); // "running" mean 0 and variance 1 for the affine
        NDArrayEx ex = x.getNDArrayInternal();
        NDArray y = ex.layerNorm(x.reshape(batch, groups, n), new Shape(n), id[0], id[1], eps)
                .singletonOrThrow()
                .reshape(shape);
        // Inference-mode batch norm with mean 0, variance 1 and eps 0 is exactly y * gamma + beta
        // per channel, in one fused kernel (one pass instead of a multiply and an add); autograd
        // flows to y, gamma and beta. DJL's axis -1 means "PyTorch's channel axis 1, no swap".
        return ex.batchNorm(y, stats[1], stats[0], g, b, -1, 0f, 0f, false).singletonOrThrow();
    }

    /**
     * Cached {ones, zeros} of length |key| living with the parameters (created once per length;
     * negative keys for the per-channel statistics, positive for the layer-norm affine).
     */
    private NDArray[] identity(long key, NDArray like) {
        long n = Math.abs(key);
        NDArray[] id = identity.get(key);
        if (id == null || id[0].isReleased() || !id[0].getDevice().equals(like.getDevice())
                || id[0].getDataType() != like.getDataType()) {
            NDManager m = like.getManager();
            DataType dt = like.getDataType();
            NDArray ones = m.ones(new Shape(n), dt);
            NDArray zeros = m.zeros(new Shape(n), dt);
            ones.setRequiresGradient(false);
            zeros.setRequiresGradient(false);
            id = new NDArray[] {ones, zeros};
            identity.put(key, id);
        }
        return id;
    }
}
