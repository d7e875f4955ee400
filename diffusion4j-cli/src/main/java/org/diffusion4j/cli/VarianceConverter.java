package org.diffusion4j.cli;

import java.util.Locale;
import org.diffusion4j.diffusion.DdpmSampler.Variance;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads sigma_t^2 as {@code beta-tilde} or {@code beta}; also, quietly, the spellings older
 * versions took: {@code betatilde}, {@code beta_tilde}, and {@code small}/{@code large} of
 * 'eval nll' (the papers' "fixed small" and "fixed large" variances).
 */
final class VarianceConverter implements ITypeConverter<Variance> {
    @Override
    public Variance convert(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "beta-tilde", "beta_tilde", "betatilde", "small":
                return Variance.BETA_TILDE;
            case "beta", "large":
                return Variance.BETA;
            default:
                throw new TypeConversionException("expected beta-tilde or beta but was '" + value + "'");
        }
    }
}
