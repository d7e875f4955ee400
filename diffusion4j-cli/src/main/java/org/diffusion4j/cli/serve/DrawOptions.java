package org.diffusion4j.cli.serve;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.nn.Precision;

/**
 * The sampling options the Draw view offers and how they become a sampler: the 'sample' command's
 * own options, so that a sampler or option added there appears on the page unchanged.
 */
public interface DrawOptions {
    /** One control of the page: an option name (without dashes), its kind, choices, default and help. */
    record Option(String name, String type, List<String> choices, String defaultValue, String description) {}

    /** What a Draw request turns into. */
    /** One drawing job; {@code guide} holds the classes and guidance of a class-conditional model, else null. */
    record Draw(int n, long seed, Sampler sampler, Precision precision, String description, Ddpm.Guide guide) {}

    List<Option> options();

    /**
     * A sampler for {@code ddpm} from the page's values (option name to text; missing ones take
     * their defaults); {@code source} is the model's file, null for the bundled DDPM (whose
     * defaults differ). Throws {@link HttpError} (400) for a bad value.
     */
    Draw prepare(Ddpm ddpm, Path source, Map<String, String> values);
}
