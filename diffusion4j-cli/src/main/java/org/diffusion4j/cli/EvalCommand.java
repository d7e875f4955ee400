package org.diffusion4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Parent of the evaluation commands: {@code eval nll}, {@code eval samples}, {@code eval points}. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a trained model or its samples.",
        subcommands = {EvalNllCommand.class, EvalSamplesCommand.class, EvalPointsCommand.class})
public final class EvalCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
