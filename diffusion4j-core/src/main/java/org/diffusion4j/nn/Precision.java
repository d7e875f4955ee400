package org.diffusion4j.nn;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import org.diffusion4j.InvalidArgumentException;

/**
 * The number format a network computes in. FP32 is the default; FP16 runs the whole forward and
 * backward pass of the network on float16 copies of float32 master weights (see
 * {@link LowPrecision}). BF16 is named so that asking for it gets a clear answer: DJL 0.35's
 * PyTorch JNI has no bfloat16 entry in its dtype map ({@code GetScalarTypeFromDType}), and any
 * conversion to it ends in an uncaught C++ exception that aborts the JVM.
 */
public enum Precision {
    FP32(DataType.FLOAT32),
    FP16(DataType.FLOAT16),
    BF16(DataType.BFLOAT16);

    private final DataType dataType;

    Precision(DataType dataType) {
        this.dataType = dataType;
    }

    public DataType dataType() {
        return dataType;
    }

    /** "fp32", "fp16" or "bf16" (any case); a clear error for anything else or for bf16. */
    public static Precision parse(String s) {
        Precision p;
        try {
            p = valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidArgumentException("precision", s, "is not a number format: use fp32 or fp16");
        }
        return p.requireSupported();
    }

    /** This precision, or a clear error if this build cannot compute in it. */
    public Precision requireSupported() {
        if (this == BF16) {
            throw new InvalidArgumentException("precision", label(), "is not available: DJL 0.35's PyTorch bridge "
                    + "cannot create bfloat16 arrays (it aborts the JVM); use fp32 or fp16");
        }
        return this;
    }

    /** "fp32", "fp16" or "bf16", as configurations store it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label();
    }
}
