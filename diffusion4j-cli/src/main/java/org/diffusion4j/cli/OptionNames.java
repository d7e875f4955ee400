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
            Map.entry("keepCheckpoints", "--keep-checkpoints"),
            Map.entry("sampleEvery", "--sample-every"),
            // Objective (TrainCommand)
            Map.entry("prediction", "--prediction"),
            Map.entry("minSnrGamma", "--min-snr-gamma"),
            // UNetConfig (UNetOptions, ModelCommand, WidenCommand)
            Map.entry("preset", "--preset"),
            Map.entry("inChannels", "--in-channels"),
            Map.entry("ch", "--ch"),
            Map.entry("chMult", "--ch-mult"),
            Map.entry("numResBlocks", "--num-res-blocks"),
            Map.entry("attnResolutions", "--attn"),
            Map.entry("dropout", "--dropout"),
            Map.entry("groups", "--groups"),
            Map.entry("normEps", "--norm-eps"),
            // VaeSpec (VaeCommand)
            Map.entry("arch", "--arch"),
            Map.entry("hidden", "--hidden"),
            Map.entry("channels", "--conv-channels"), // VaeSpec.channels: the conv layers' channels
            Map.entry("activation", "--activation"),
            Map.entry("pixelLayers", "--pixel-layers"),
            Map.entry("pixelChannels", "--pixel-channels"),
            Map.entry("latent", "--latent"),
            Map.entry("likelihood", "--likelihood"),
            Map.entry("variance", "--variance"),
            Map.entry("conditional", "--conditional"),
            Map.entry("beta", "--beta"),
            Map.entry("klWarmup", "--kl-warmup"),
            Map.entry("classLabel", "--class"),
            Map.entry("k", "--k"),
            // ImageFolder (DataOptions)
            Map.entry("imageChannels", "--channels"),
            Map.entry("imageSize", "--image-size"));

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
