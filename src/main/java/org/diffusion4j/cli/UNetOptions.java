package org.diffusion4j.cli;

import org.diffusion4j.nn.UNetConfig;
import picocli.CommandLine.Option;

/** A U-Net preset and per-field overrides (unet.md's configuration fields). */
public final class UNetOptions {
    @Option(names = "--preset", defaultValue = "mnist", description = "U-Net preset: tiny, mnist or cifar10 (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--ch", description = "Override: base channel count C.")
    Integer ch;

    @Option(names = "--ch-mult", split = ",", description = "Override: channel multiplier per level, e.g. 1,2,2.")
    int[] chMult;

    @Option(names = "--num-res-blocks", description = "Override: residual blocks per level.")
    Integer numResBlocks;

    @Option(names = "--attn", split = ",", description = "Override: feature-map sizes with self-attention, e.g. 7 or 16 (use --attn= for none).")
    int[] attn;

    @Option(names = "--dropout", description = "Override: dropout inside residual blocks.")
    Float dropout;

    @Option(names = "--groups", description = "Override: GroupNorm groups.")
    Integer groups;

    public UNetConfig build(int channels) {
        UNetConfig.Builder b = UNetConfig.preset(preset, channels).toBuilder().inChannels(channels).outChannels(channels);
        if (ch != null) {
            b.ch(ch);
        }
        if (chMult != null) {
            b.chMult(chMult);
        }
        if (numResBlocks != null) {
            b.numResBlocks(numResBlocks);
        }
        if (attn != null) {
            b.attnResolutions(attn);
        }
        if (dropout != null) {
            b.dropout(dropout);
        }
        if (groups != null) {
            b.groups(groups);
        }
        return b.build();
    }
}
