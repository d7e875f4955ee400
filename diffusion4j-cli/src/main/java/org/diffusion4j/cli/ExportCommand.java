package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.Locale;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.diffusers.DiffusersFolder;
import org.diffusion4j.ddpm.net.UNet;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes the EMA weights of a run, with its configuration, as a small file to ship or share. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a weights-only model file (configuration + EMA weights, no optimizer state) from a run folder; "
            + "'sample --run FILE' and 'eval' read it like a run. With --format diffusers, write a folder that diffusers' "
            + "DDPMPipeline.from_pretrained reads (docs/diffusers.md).",
            "Example: diffusion4j export --run runs/mnist --out models/ddpm-mnist.safetensors --note \"train --preset mnist ...\"",
            "         diffusion4j export --format diffusers --run runs/cifar10 --out ddpm-cifar10-diffusers"})
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN_DIR", description = "The run folder (or its checkpoint.bin).")
    Path run;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (the folder, with --format diffusers).")
    Path out;

    /** What to write. */
    enum Format { model, diffusers }

    @Option(names = "--format", defaultValue = "model", description = "model: diffusion4j's model file; diffusers: a "
            + "DDPMPipeline folder (model_index.json, unet/, scheduler/) of a U-Net DDPM (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--note", description = "Free text stored with the weights (e.g. the command and wall time that made them).")
    String note;

    @Option(names = "--fp16", description = "Store the weights as float16: half the size, each weight rounded to 11 "
            + "significant bits; they are widened back to float32 when read.")
    boolean fp16;

    @Override
    public Integer call() {
        OutputPaths.Plan paths = OutputPaths.plan().input("--run", run);
        (format == Format.diffusers ? paths.folder("--out", out) : paths.file("--out", out)).check();
        TorchRuntime.init();
        if (format == Format.diffusers) {
            return exportDiffusers();
        }
        Path file = Files.isDirectory(run) ? run.resolve(Trainer.CHECKPOINT) : run;
        try (NDManager m = TorchRuntime.newManager()) {
            Checkpoint c = Checkpoint.read(file, m);
            JsonObject p = new JsonObject();
            p.addProperty("from", file.toString());
            p.addProperty("at", Instant.now().toString());
            if (note != null) {
                p.addProperty("note", note);
            }
            p.addProperty("storage", fp16 ? "float16" : "float32");
            c.weightsOnly(p.toString()).write(out, fp16 ? DataType.FLOAT16 : DataType.FLOAT32);
            Checkpoint.read(out, m); // verify what was written, as model convert does: checksums and values
            System.out.printf("wrote %s (%s model at step %s, %s, %.1f MB)%n", out, c.kind(), c.step(),
                    fp16 ? "float16" : "float32", out.toFile().length() / 1e6);
        }
        return 0;
    }

    private int exportDiffusers() {
        try (NDManager m = TorchRuntime.newManager(); Ddpm ddpm = Ddpm.load(run, true, m)) {
            if (org.diffusion4j.latent.LatentSpace.load(run, m) != null) {
                throw new UserException(run + " is a latent DDPM (train --latent): a diffusers DDPMPipeline has no place for its "
                        + "autoencoder; export it with --format model");
            }
            DiffusersFolder.export(ddpm, out, fp16, note);
            long[] row = ddpm.spec().rowShape();
            long params = ((UNet) ddpm.network()).parameterCount();
            System.out.printf(Locale.ROOT, "wrote %s (diffusers DDPMPipeline: UNet2DModel %dx%dx%d, %,d parameters, %s, "
                    + "%.1f MB; DDPMScheduler %s)%n", out, row[0], row[1], row[2], params, fp16 ? "float16" : "float32",
                    DiffusersFolder.weightsFile(out).toFile().length() / 1e6, ddpm.spec().schedule());
        }
        return 0;
    }
}
