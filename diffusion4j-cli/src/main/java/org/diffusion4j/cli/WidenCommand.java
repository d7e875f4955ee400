package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.ddpm.net.UNet;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.ddpm.net.UNetWidener;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Grows a trained U-Net DDPM into a wider one that starts from the same function (Net2WiderNet). */
@Command(name = "widen", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Widen a trained U-Net DDPM level by level (Net2WiderNet): each level gets a whole multiple of its "
            + "channels, copies of the old ones, set so that the wider net predicts (nearly) the same noise. Writes a "
            + "weights-only model file for 'train --init-from', so that the wider net trains on from what the smaller "
            + "one learned. Prints the loss of Algorithm 1 before and after on test images.",
            "With --classes N, the net also becomes class-conditional: a class embedding of N + 1 rows (the last the "
            + "null class), zero, so it starts as exactly the same function (docs/sampling.md#class-conditional-sampling).",
            "Example: diffusion4j widen --run models/ddpm-mnist.safetensors --ch-mult 1,2,4 --out runs/wide.bin",
            "         diffusion4j widen --run models/ddpm-mnist.safetensors --classes 10 --out runs/cond-start.bin"})
public final class WidenCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "RUN_DIR", description = "The trained model: a run folder or a model file.")
    Path run;

    @Option(names = "--ch-mult", split = ",", description = "The wider net's channel multipliers, each a whole multiple of the old one's (e.g. 1,2,4 from 1,2,2; default: the same).")
    int[] chMult;

    @Option(names = "--classes", description = "Make the net class-conditional for this many classes, with a zero class embedding (default: as it is).")
    Integer classes;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The model file to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random split of weights between copies (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--check", defaultValue = "512", description = "Test images to compare the two nets on (0: none; default: ${DEFAULT-VALUE}).")
    int check;

    @Override
    public Integer call() {
        if (check < 0) {
            throw new UserException("--check must be >= 0, got " + check);
        }
        OutputPaths.plan().input("--run", run).file("--out", out).check();
        TorchRuntime.init();
        Path file = Checkpoint.fileOf(run);
        try (NDManager m = TorchRuntime.newManager()) {
            Checkpoint c = Checkpoint.read(file, m).requireKind("ddpm", file);
            try (Ddpm small = Ddpm.load(file, true, m)) {
                DdpmSpec spec = small.spec();
                if (!spec.isImage()) {
                    throw new UserException(file + " holds an MLP denoiser; only a U-Net can be widened");
                }
                if (spec.unetConfig().isConditional()) {
                    throw new UserException(file + " is already class-conditional; only an unconditional U-Net can be widened");
                }
                if (chMult == null && classes == null) {
                    throw new UserException("give --ch-mult (a wider net) or --classes (a class-conditional one), or both");
                }
                if (classes != null && classes < 1) {
                    throw new UserException("--classes must be >= 1, got " + classes);
                }
                UNetConfig wide = spec.unetConfig().toBuilder().chMult(chMult != null ? chMult : spec.unetConfig().chMult())
                        .numClasses(classes != null ? classes : 0).build();
                UNetWidener.checkWidening(spec.unetConfig(), wide);
                long[] row = spec.rowShape();
                DdpmSpec wideSpec = DdpmSpec.unet(wide, (int) row[0], (int) row[1], (int) row[2], spec.schedule(), spec.loss())
                        .withObjective(spec.objective());
                try (Ddpm big = Ddpm.create(wideSpec, m, seed)) {
                    UNetWidener.widen((UNet) small.network(), (UNet) big.network(), seed);
                    JsonObject h = JsonParser.parseString(c.header()).getAsJsonObject();
                    h.getAsJsonObject("model").add("spec", JsonParser.parseString(wideSpec.toJson()));
                    JsonObject w = new JsonObject();
                    w.addProperty("from", file.toString());
                    w.add("config", JsonParser.parseString(spec.unetConfig().toJson()));
                    w.addProperty("seed", seed);
                    if (h.has("exported")) {
                        w.add("exported", h.remove("exported"));
                    }
                    h.add("widened", w);
                    new Checkpoint(h.toString(), Map.of("ema", NamedArrays.parametersOf(big.network()))).write(out);
                    System.out.printf(Locale.ROOT, "wrote %s: %s (%,d parameters) from %s (%,d) at step %s%n", out, wide,
                            ((UNet) big.network()).parameterCount(), spec.unetConfig(),
                            ((UNet) small.network()).parameterCount(), h.get("step"));
                    if (check > 0) {
                        compare(small, big, c, check, m);
                    }
                }
            }
        }
        return 0;
    }

    /** The loss of Algorithm 1 of both nets on the same test images, steps and noise. */
    private void compare(Ddpm small, Ddpm big, Checkpoint c, int n, NDManager m) {
        JsonObject data = JsonParser.parseString(c.modelJson()).getAsJsonObject().getAsJsonObject("data");
        String name = data != null && data.has("spec") && "mnist".equals(data.get("spec").getAsString()) ? "mnist:test" : null;
        if (name == null) {
            System.out.println("(no comparison: the model was not trained on the bundled MNIST)");
            return;
        }
        DataSet d = Datasets.open(name);
        d = d.subset(Math.min(n, d.size()));
        Batcher batcher = Batcher.builder(d).batchSize(Math.min(128, d.size())).shuffle(false).dropLast(false)
                .scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
        long batches = (d.size() + batcher.batchSize() - 1) / batcher.batchSize();
        double before = 0;
        double after = 0;
        double apart = 0;
        long count = 0;
        TorchRuntime.seed(seed);
        for (long b = 0; b < batches; b++) {
            try (NDManager sub = m.newSubManager()) {
                NDArray x0 = batcher.batch(b).toNDArray(sub);
                long rows = x0.getShape().get(0);
                NDArray t = sub.randomInteger(1, small.spec().schedule().steps() + 1, new Shape(rows), DataType.INT32);
                NDArray eps = sub.randomNormal(x0.getShape(), DataType.FLOAT32);
                NDArray xt = small.diffusion().qSample(x0, t, eps);
                NDArray e0 = small.denoiser().predictEps(xt, t, false);
                NDArray e1 = big.denoiser().predictEps(xt, t, false);
                before += e0.sub(eps).square().sum().getFloat();
                after += e1.sub(eps).square().sum().getFloat();
                apart += e1.sub(e0).square().sum().getFloat();
                count += x0.size();
            }
        }
        System.out.printf(Locale.ROOT, "loss of Algorithm 1 on %d test images (same t and noise): %.5f before, %.5f after; "
                + "the predictions differ by %.5f (mean square)%n", d.size(), before / count, after / count, apart / count);
    }
}
