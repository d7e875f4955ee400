package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.UserException;
import org.diffusion4j.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Rewrites a model or checkpoint of any kind, in any format diffusion4j reads, as safetensors. */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Rewrite a model file, checkpoint or run folder (any kind: ddpm, vae, classifier, ...; the older "
            + "DIFFUSION4J-CHECKPOINT-1 format or safetensors) as a safetensors model file with checksums "
            + "(docs/model-files.md). Values are kept exactly: stored as float16 when every value is a float16 "
            + "(as in the bundled models), else as float32.",
            "Example: diffusion4j model convert old/ddpm-mnist.bin models/ddpm-mnist.safetensors"})
public final class ModelConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "The model file, checkpoint or run folder to read.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The safetensors file to write.")
    Path out;

    @Override
    public Integer call() {
        Path source = Checkpoint.fileOf(in);
        OutputPaths.plan().input("IN", source).file("OUT", out).check();
        TorchRuntime.init();
        try (NDManager m = TorchRuntime.newManager()) {
            Checkpoint c = Checkpoint.read(source, m);
            DataType storage = c.losslessStorage();
            c.write(out, storage);
            Checkpoint.read(out, m); // verify what was written: checksums and values
            try {
                System.out.printf(Locale.ROOT, "%s: '%s' %s, %s, %d bytes -> %s, %d bytes (verified)%n", source, c.kind(),
                        c.isWeightsOnly() ? "model" : "training checkpoint", storage == DataType.FLOAT16 ? "float16" : "float32",
                        Files.size(source), out, Files.size(out));
            } catch (java.io.IOException e) {
                throw new UserException(out + ": cannot read its size (" + e.getMessage() + ")", e);
            }
        }
        return 0;
    }
}
