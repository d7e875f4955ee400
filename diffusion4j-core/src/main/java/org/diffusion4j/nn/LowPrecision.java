package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A scope in which a network computes on reduced-precision copies of its float32 weights
 * (mixed precision with float32 master weights, like Apex's "O2").
 *
 * <p>Why copies and not casts inside the graph: DJL 0.35's {@code toType} runs under a
 * {@code NoGradGuard}, so a cast is not differentiable and a float32 weight cast to float16 in
 * the forward pass would get no gradient. Here the copies are made outside the graph, marked as
 * leaves that require gradients, and the whole network runs in their type (inputs are converted
 * by {@link #toCompute}); results meet float32 tensors (targets, schedule coefficients) by type
 * promotion, which is differentiable. The gradients of the copies are converted back to float32
 * for the optimizer.
 *
 * <p>The scope is per thread, like {@code torch.autocast}; blocks read weights through a
 * {@link CastingParameterStore}. Close it to end it (the copies live in the given manager).
 */
public final class LowPrecision implements AutoCloseable {
    private static final ThreadLocal<LowPrecision> ACTIVE = new ThreadLocal<>();

    private final DataType type;
    private final Map<String, NDArray> copies = new HashMap<>();
    private final List<String> names = new ArrayList<>();
    private final List<NDArray> ordered = new ArrayList<>();

    private LowPrecision(DataType type) {
        this.type = type;
    }

    /**
     * Starts a scope computing {@code model} in {@code precision}; for FP32 nothing changes and
     * the scope is empty. With {@code trainable} the copies collect gradients.
     */
    public static LowPrecision enter(Block model, Precision precision, NDManager manager, boolean trainable) {
        if (ACTIVE.get() != null) {
            throw new IllegalStateException("a precision scope is already open on this thread");
        }
        LowPrecision scope = new LowPrecision(precision.requireSupported().dataType());
        if (precision != Precision.FP32) {
            for (Pair<String, Parameter> p : model.getParameters()) {
                NDArray copy = p.getValue().getArray().toType(scope.type, true);
                copy.attach(manager);
                scope.copies.put(p.getValue().getId(), copy);
                if (trainable && p.getValue().requiresGradient()) {
                    copy.setRequiresGradient(true);
                    scope.names.add(p.getKey());
                    scope.ordered.add(copy);
                }
            }
        }
        ACTIVE.set(scope);
        return scope;
    }

    /** The type the network computes in on this thread: float32 outside any scope. */
    public static DataType computeType() {
        LowPrecision s = ACTIVE.get();
        return s == null ? DataType.FLOAT32 : s.type;
    }

    /** x in the compute type (inputs need no gradient: the conversion is not differentiable). */
    public static NDArray toCompute(NDArray x) {
        DataType t = computeType();
        return x.getDataType() == t ? x : x.toType(t, false);
    }

    /** The reduced-precision copy of a parameter in this thread's scope, or null. */
    static NDArray copyOf(Parameter p) {
        LowPrecision s = ACTIVE.get();
        return s == null ? null : s.copies.get(p.getId());
    }

    /** Whether this scope computes in a reduced precision (false for FP32). */
    public boolean reduced() {
        return !copies.isEmpty();
    }

    /** The names of the trainable parameters, in the model's order (as {@code NamedArrays.parametersOf}). */
    public List<String> names() {
        return names;
    }

    /**
     * The copies' gradients as float32 arrays in {@code manager}, each multiplied by {@code unscale}
     * (1 / the loss scale), in the model's parameter order.
     */
    public List<NDArray> float32Gradients(NDManager manager, double unscale) {
        List<NDArray> out = new ArrayList<>(ordered.size());
        for (int i = 0; i < ordered.size(); i++) {
            // JniUtils, not NDArray.getGradient: DJL answers a gradient that never arrived with zeros.
            NDArray g16 = JniUtils.getGradient((PtNDArray) ordered.get(i));
            if (g16 == null) {
                throw new IllegalStateException("no float16 gradient for " + names.get(i) + ": the network did not read its "
                        + "weights through a CastingParameterStore (reduced precision works for the DDPM networks)");
            }
            g16.attach(manager);
            NDArray g = g16.toType(DataType.FLOAT32, true);
            g.attach(manager);
            out.add(unscale == 1.0 ? g : Scalar.mul(g, unscale));
        }
        return out;
    }

    @Override
    public void close() {
        if (ACTIVE.get() == this) {
            ACTIVE.remove();
        }
    }
}
