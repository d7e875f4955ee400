package org.diffusion4j.io;

/**
 * IEEE 754 binary16 and bfloat16 conversions (Java 17 has no Float.floatToFloat16): widening is
 * exact; narrowing rounds to nearest, ties to even, as PyTorch does, so a float16 value survives
 * float16 -> float32 -> float16 unchanged.
 */
final class HalfFloats {
    private HalfFloats() {}

    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) { // infinity or NaN (payload kept)
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) { // zero or subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) { // infinity, or NaN kept quiet and non-zero
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 112; // the binary16 biased exponent
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) { // binary16 subnormal: value / 2^-24 = (1.mant) * 2^(exp - 126 + 23) / 2^23
            int shift = 126 - exp;
            if (shift > 24) {
                return (short) sign; // below half the smallest subnormal
            }
            return (short) (sign | roundShift(mant | 0x800000, shift));
        }
        // the carry of a rounded-up mantissa moves into the exponent (up to infinity), as it should
        return (short) (sign | ((e << 10) + roundShift(mant, 13)));
    }

    static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0) {
            return (short) ((bits >>> 16) | 0x40); // NaN stays NaN
        }
        return (short) (roundShift(bits, 16));
    }

    /** {@code v >> shift} rounded to nearest, ties to even ({@code v} non-negative or bit pattern). */
    private static int roundShift(int v, int shift) {
        int q = v >>> shift;
        int rem = v & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rem > half || (rem == half && (q & 1) == 1)) {
            q++;
        }
        return q;
    }
}
