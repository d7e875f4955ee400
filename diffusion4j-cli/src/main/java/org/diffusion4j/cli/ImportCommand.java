package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.diffusers.DiffusersFolder;
import org.diffusion4j.ddpm.net.UNet;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;
import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Reads a diffusers DDPMPipeline or UNet2DModel folder into a diffusion4j model file. */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Read a diffusers folder (a DDPMPipeline saved by save_pretrained or written by 'export --format "
            + "diffusers', or a bare UNet2DModel folder) into a model file that 'sample --run', 'eval' and "
            + "'train --init-from' read (docs/diffusers.md). 'sample --run DIR' also reads the folder directly.",
            "Example: diffusion4j import --from ddpm-cifar10-diffusers --out cifar10.bin"})
public final class ImportCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "DIR", description = "The diffusers folder.")
    Path from;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The model file to write.")
    Path out;

    @Option(names = "--note", description = "Free text stored with the weights.")
    String note;

    @Option(names = "--fp16", description = "Store the weights as float16 (half the size).")
    boolean fp16;

    @Override
    public Integer call() {
        OutputPaths.plan().inputTree("--from", from).file("--out", out).check();
        TorchRuntime.init();
        try (NDManager m = TorchRuntime.newManager(); Ddpm ddpm = DiffusersFolder.load(from, m)) {
            JsonObject h = new JsonObject();
            h.addProperty("kind", Ddpm.KIND);
            JsonObject model = new JsonObject();
            model.add("spec", JsonParser.parseString(ddpm.spec().toJson()));
            h.add("model", model);
            // no training happened here: the defaults, so that 'train --init-from' can start from it
            h.add("train", JsonParser.parseString(TrainConfig.builder().build().toJson()));
            h.addProperty("step", 0);
            h.addProperty("adamUpdates", 0);
            h.addProperty("emaUpdates", 0);
            JsonObject p = new JsonObject();
            p.addProperty("from", from.toAbsolutePath().normalize().toString());
            p.addProperty("format", "diffusers");
            p.addProperty("at", Instant.now().toString());
            if (note != null) {
                p.addProperty("note", note);
            }
            p.addProperty("storage", fp16 ? "float16" : "float32");
            h.add("exported", p);
            new Checkpoint(h.toString(), Map.of("ema", NamedArrays.parametersOf(ddpm.network())))
                    .write(out, fp16 ? DataType.FLOAT16 : DataType.FLOAT32);
            long[] row = ddpm.spec().rowShape();
            System.out.printf(Locale.ROOT, "wrote %s (ddpm model from diffusers %s: U-Net %dx%dx%d, %,d parameters, %s; %s)%n",
                    out, from, row[0], row[1], row[2], ((UNet) ddpm.network()).parameterCount(),
                    fp16 ? "float16" : "float32", ddpm.spec().schedule());
        }
        return 0;
    }
}
