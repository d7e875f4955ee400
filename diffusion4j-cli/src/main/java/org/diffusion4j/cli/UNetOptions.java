package org.diffusion4j.cli;

import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.net.UNetConfig;
import picocli.CommandLine.Option;

/** A U-Net preset and per-field overrides (unet.md's configuration fields). */
public final class UNetOptions {
    static final String DEFAULT_PRESET = "mnist";

    @Option(names = "--preset", description = "U-Net preset: tiny, mnist or cifar10 (default: " + DEFAULT_PRESET + ").")
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

    @Option(names = "--norm-eps", description = "Override: GroupNorm epsilon added to the variance (default 1e-5; "
            + "the DDPM paper's TensorFlow code and google/ddpm-cifar10-32 use 1e-6).")
    Float normEps;

    @Option(names = "--classes", description = "A class-conditional U-Net for this many classes (labels 0..N-1; "
            + "classifier-free guidance, docs/sampling.md#class-conditional-sampling); 0: unconditional (default).")
    Integer classes;

    /** The preset given, or the default. */
    public String presetName() {
        return preset != null ? preset : DEFAULT_PRESET;
    }

    public UNetConfig build(int channels) {
        UNetConfig.Builder b = UNetConfig.preset(presetName(), channels).toBuilder().inChannels(channels).outChannels(channels);
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
        if (normEps != null) {
            b.normEps(normEps);
        }
        if (classes != null) {
            b.numClasses(classes);
        }
        return b.build();
    }

    /** Refuses every U-Net option given, for a model that has no U-Net ({@code why} says so). */
    public void requireNone(String why) {
        String given = preset != null ? "--preset" : ch != null ? "--ch" : chMult != null ? "--ch-mult"
                : numResBlocks != null ? "--num-res-blocks" : attn != null ? "--attn" : dropout != null ? "--dropout"
                : groups != null ? "--groups" : normEps != null ? "--norm-eps" : classes != null ? "--classes" : null;
        if (given != null) {
            throw new UserException(given + " is a U-Net option, and " + why + "; leave it out");
        }
    }

    /**
     * The network of a run that goes on from another (--resume or --init-from): the source's,
     * with --dropout in its place if given. Dropout is the one field that owns no parameters,
     * so the source's weights still fit; any other U-Net option would not, and is refused.
     *
     * @param source the source run's U-Net, or null when it is not a U-Net (2-D points)
     */
    public UNetConfig onContinue(UNetConfig source) {
        if (preset != null || ch != null || chMult != null || numResBlocks != null || attn != null || groups != null
                || normEps != null
                || (source == null && dropout != null)) {
            throw new UserException("a run that goes on from another keeps its network: of the U-Net options only "
                    + "--dropout may be given with --resume or --init-from" + (source == null ? " (and only for a U-Net)" : ""));
        }
        if (classes != null && (source == null || classes != source.numClasses())) {
            throw new UserException("a run that goes on from another keeps its network, and --classes " + classes
                    + " differs from its " + (source == null ? 0 : source.numClasses()) + "; to make a class-conditional"
                    + " model from an unconditional one, write its start with: diffusion4j widen --run MODEL --classes "
                    + classes + " --out FILE, then train --init-from FILE");
        }
        return dropout == null ? source : source.toBuilder().dropout(dropout).build();
    }
}
