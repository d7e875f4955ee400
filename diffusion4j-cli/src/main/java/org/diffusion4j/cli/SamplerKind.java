package org.diffusion4j.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The reverse process a command samples with: DDPM's Algorithm 2 (all T steps, or S of them
 * respaced), DDIM, DPM-Solver++(2M) on the ODE or the SDE, or Heun (sampling.md).
 */
enum SamplerKind {
    DDPM("ddpm"),
    DDIM("ddim"),
    DPMPP_2M("dpm++2m"),
    DPMPP_2M_SDE("dpm++2m-sde"),
    HEUN("heun");

    private final String text;

    SamplerKind(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }

    /** Reads the text spelling in any case; also dpmpp2m, dpm-solver++ and their -sde forms for the ones with plus signs. */
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
            if (v.equals("dpmpp2m-sde") || v.equals("sde-dpm-solver++") || v.equals("sde-dpmsolver++")) {
                return DPMPP_2M_SDE;
            }
            throw new TypeConversionException("expected ddpm, ddim, dpm++2m, dpm++2m-sde or heun but was '" + value + "'");
        }
    }
}
