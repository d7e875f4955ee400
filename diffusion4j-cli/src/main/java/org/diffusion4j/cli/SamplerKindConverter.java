package org.diffusion4j.cli;

import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.SamplerSettings;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads --sampler with the core's spelling ({@link SamplerSettings.Kind#parse}). */
final class SamplerKindConverter implements ITypeConverter<SamplerSettings.Kind> {
    @Override
    public SamplerSettings.Kind convert(String value) {
        try {
            return SamplerSettings.Kind.parse(value);
        } catch (UserException e) {
            throw new TypeConversionException("expected ddpm, ddim, dpm++2m, dpm++2m-sde or heun but was '" + value + "'");
        }
    }
}
