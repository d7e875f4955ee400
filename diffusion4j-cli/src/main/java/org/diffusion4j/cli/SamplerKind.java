package org.diffusion4j.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The reverse process a command samples with: DDPM's Algorithm 2 (all T steps, or S of them
 * respaced), DDIM, DPM-Solver++(2M) or Heun (sampling.md).
 */
enum SamplerKind {
    DDPM("ddpm"),
    DDIM("ddim"),
    DPMPP_2M("dpm++2m"),
    HEUN("heun");

    private final String text;

    SamplerKind(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }

    /** Reads the text spelling in any case; also dpmpp2m and dpm-solver++ for the one with the plus signs. */
    static final class Converter implements ITypeConverter<SamplerKind> {
        @Override
        public SamplerKind convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (SamplerKind k : values()) {
                if (k.text.equals(v) || k.name().toLowerCase(Locale.ROOT).equals(v)) {
                    return k;
                }
            }
            if (v.equals("dpmpp2m") || v.equals("dpm-solver++") || v.equals("dpmsolver++")) {
                return DPMPP_2M;
            }
            throw new TypeConversionException("expected ddpm, ddim, dpm++2m or heun but was '" + value + "'");
        }
    }
}
