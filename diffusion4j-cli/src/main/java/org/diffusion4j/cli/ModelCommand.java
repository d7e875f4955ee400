package org.diffusion4j.cli;

import java.util.concurrent.Callable;
import org.diffusion4j.ddpm.net.UNetConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Describes a U-Net configuration: fields, exact parameter count, FLOPs, feature-map sizes. */
@Command(name = "model", mixinStandardHelpOptions = true, sortOptions = false, subcommands = ModelConvertCommand.class,
        description = {"Print a U-Net configuration (unet.md): its fields, exact parameter count, forward FLOPs per image "
            + "(counted from the layers) and the feature-map sizes per level.",
            "Example: diffusion4j model --preset cifar10 --size 32"})
public final class ModelCommand implements Callable<Integer> {
    @Mixin
    UNetOptions unet;

    @Option(names = "--size", description = "Input height and width (default: 28 for tiny/mnist, 32 for cifar10).")
    Integer size;

    @Option(names = "--in-channels", description = "Image channels (default: 1 for tiny/mnist, 3 for cifar10).")
    Integer channels;

    @Override
    public Integer call() {
        boolean cifar = "cifar10".equalsIgnoreCase(unet.presetName());
        int c = channels != null ? channels : (cifar ? 3 : 1);
        int s = size != null ? size : (cifar ? 32 : 28);
        if (s < 1 || s > 4096) {
            throw new org.diffusion4j.UserException("--size must be in 1..4096, got " + s);
        }
        UNetConfig cfg = unet.build(c);
        cfg.validate(s, s);
        System.out.print(cfg.describe(s, s));
        return 0;
    }
}
