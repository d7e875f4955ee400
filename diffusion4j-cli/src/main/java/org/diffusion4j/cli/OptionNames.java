package org.diffusion4j.cli;

import java.util.Map;
import org.diffusion4j.InvalidArgumentException;

/**
 * The one place that knows which command-line option sets which library argument: the library
 * names its arguments as its API does ({@code batchSize}), the user typed {@code --batch}.
 */
final class OptionNames {
    private OptionNames() {}

    /** Library argument name to option name; an argument not listed is shown by its own name. */
    private static final Map<String, String> OPTIONS = Map.ofEntries(
            Map.entry("batchSize", "--batch"),
            Map.entry("steps", "--steps"),
            Map.entry("learningRate", "--lr"),
            Map.entry("warmup", "--warmup"),
            Map.entry("lrDecayFrom", "--decay-from"),
            Map.entry("gradClip", "--clip"),
            Map.entry("emaDecay", "--ema"),
            Map.entry("seed", "--seed"),
            Map.entry("threads", "--threads"),
            Map.entry("precision", "--precision"),
            Map.entry("logEvery", "--log-every"),
            Map.entry("checkpointEvery", "--checkpoint-every"),
            Map.entry("sampleEvery", "--sample-every"),
            Map.entry("classLabel", "--class"),
            Map.entry("k", "--k"));

    /** The option that sets {@code argument}, or null. */
    static String optionOf(String argument) {
        return OPTIONS.get(argument);
    }

    /** The exception's message in the user's terms: "--batch 512 is larger than the data set (100 rows)". */
    static String describe(InvalidArgumentException e) {
        String option = optionOf(e.argument());
        return option == null ? e.getMessage() : option + " " + e.value() + " " + e.problem();
    }
}
