package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.ToLongFunction;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.nn.LowPrecision;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.DdpmTask;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.train.ResidentMemory;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.StepRecord;
import org.diffusion4j.train.StepTimings;
import org.diffusion4j.train.Trainer;
import org.diffusion4j.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Measures training and sampling speed of a U-Net preset (a benchmark, never a test). */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark a U-Net preset on MNIST-shaped data: ms per training step (data, forward, backward, "
            + "clipping, Adam, EMA), ms per sampling step (one step of a real DDIM loop: the network call without gradients plus the update), images/s, "
            + "FLOPs and achieved GFLOP/s, and peak resident memory. Median and spread after warm-up.",
            "Example: diffusion4j bench --preset mnist --batch 64 --json"})
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    UNetOptions unet;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iters", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--threads", converter = ThreadsConverter.class, defaultValue = "0", description = "PyTorch intra-op threads; 0: all cores.")
    int threads;

    @Option(names = "--precision", defaultValue = "fp32", description = "Number format of the network: fp32, or fp16 "
            + "(float16 copies of float32 master weights, dynamic loss scaling); bf16 is refused: DJL 0.35 cannot "
            + "create bfloat16 arrays (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--profile", paramLabel = "FILE", description = "Also write PyTorch's op-level trace of the timed training steps (Chrome trace JSON) and print the top ops.")
    Path profile;

    @Override
    public Integer call() throws Exception {
        OutputPaths.requireWritableFile("--profile", profile);
        TorchRuntime.init();
        if (threads > 0) {
            TorchRuntime.setThreads(threads);
        }
        if (batch < 1 || iters < 1 || warmup < 0) {
            throw new org.diffusion4j.UserException("--batch and --iters must be >= 1 and --warmup >= 0");
        }
        Precision prec = Precision.parse(precision);
        DataSet d = Mnist.train();
        UNetConfig cfg = unet.build(1);
        DdpmSpec spec = DdpmSpec.unet(cfg, 1, 28, 28, NoiseSchedule.ddpm(), LossType.L2);
        JsonObject out = new JsonObject();
        out.addProperty("preset", unet.presetName());
        out.addProperty("batch", batch);
        out.addProperty("threads", TorchRuntime.threads());
        out.addProperty("precision", prec.label());
        long flops = cfg.forwardFlops(28, 28);
        out.addProperty("parameters", cfg.parameterCount(28, 28));
        out.addProperty("forwardFlopsPerImage", flops);
        List<StepTimings> timings = new ArrayList<>();
        try (NDManager m = TorchRuntime.newManager(); Ddpm ddpm = Ddpm.create(spec, m, 0)) {
            Batcher batcher = Batcher.builder(d).batchSize(batch).seed(0).shuffle(true).dropLast(true)
                    .scaling(Batcher.Scaling.MINUS_ONE_TO_ONE).build();
            TrainConfig tc = TrainConfig.builder().steps(warmup + iters).batchSize(batch).checkpointEvery(1_000_000)
                    .sampleEvery(0).logEvery(1_000_000).precision(prec.label()).build();
            // In memory: no run folder, only the step timings.
            try (Trainer trainer = new Trainer(new DdpmTask(ddpm), new BatcherSource(batcher), tc, m)) {
                trainer.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Trainer t, StepRecord r) {
                        timings.add(r.timings());
                        if (profile != null && timings.size() == warmup) {
                            ai.djl.pytorch.jni.JniUtils.startProfile(false, false, false);
                        }
                    }
                });
                if (profile != null && warmup == 0) {
                    ai.djl.pytorch.jni.JniUtils.startProfile(false, false, false);
                }
                trainer.run();
                if (profile != null) {
                    ai.djl.pytorch.jni.JniUtils.stopProfile(profile.toAbsolutePath().toString());
                }
            }
            List<StepTimings> timed = timings.subList(warmup, timings.size());
            JsonObject train = new JsonObject();
            train.add("msTotal", stats(timed, StepTimings::total));
            train.add("msData", stats(timed, StepTimings::data));
            train.add("msForward", stats(timed, StepTimings::forward));
            train.add("msBackward", stats(timed, StepTimings::backward));
            train.add("msClip", stats(timed, StepTimings::clip));
            train.add("msAdam", stats(timed, StepTimings::adam));
            train.add("msEma", stats(timed, StepTimings::ema));
            double trainMs = train.getAsJsonObject("msTotal").get("median").getAsDouble();
            train.addProperty("imagesPerSecond", round(batch / (trainMs / 1000)));
            train.addProperty("gflopsPerSecond", round(3.0 * flops * batch / (trainMs / 1000) / 1e9));
            out.add("train", train);

            // Sampling step: a real reverse-process loop (DDIM with eta = 1, warmup + iters steps),
            // timed between the sampler's step callbacks, so the step arithmetic, the fresh noise and
            // the allocator's cost of each step's new tensors count, not just the network call.
            long[] ns = new long[warmup + iters];
            try (NDManager sub = m.newSubManager();
                    LowPrecision scope = LowPrecision.enter(ddpm.network(), prec, sub, false)) {
                Sampler sampler = new DdimSampler(spec.schedule(), ns.length, 1.0, true);
                long[] last = {System.nanoTime()};
                sampler.sample(ddpm.denoiser(), spec.batchShape(batch), sub, (i, count, t, xt, x0Hat) -> {
                    long now = System.nanoTime();
                    ns[i] = now - last[0];
                    last[0] = now;
                });
            }
            long[] sampled = Arrays.copyOfRange(ns, warmup, ns.length);
            JsonObject sample = new JsonObject();
            sample.add("msPerStep", stats(sampled));
            double sampleMs = sample.getAsJsonObject("msPerStep").get("median").getAsDouble();
            sample.addProperty("imagesPerSecond", round(batch / (sampleMs / 1000)));
            sample.addProperty("gflopsPerSecond", round((double) flops * batch / (sampleMs / 1000) / 1e9));
            out.add("sample", sample);
        }
        out.addProperty("peakRssMb", ResidentMemory.peakMb());
        out.addProperty("rssMb", ResidentMemory.currentMb());
        if (json) {
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(out));
        } else {
            printTable(out);
        }
        if (profile != null) {
            ProfileSummary.print(profile, 15);
        }
        return 0;
    }

    private static JsonObject stats(List<StepTimings> t, ToLongFunction<StepTimings> f) {
        return stats(t.stream().mapToLong(f).toArray());
    }

    private static JsonObject stats(long[] nanos) {
        double[] ms = Arrays.stream(nanos).mapToDouble(n -> n / 1e6).sorted().toArray();
        JsonObject o = new JsonObject();
        o.addProperty("median", round(ms[ms.length / 2]));
        o.addProperty("min", round(ms[0]));
        o.addProperty("max", round(ms[ms.length - 1]));
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void printTable(JsonObject o) {
        JsonObject tr = o.getAsJsonObject("train");
        JsonObject sa = o.getAsJsonObject("sample");
        System.out.printf(Locale.ROOT, "preset %s, batch %d, %d threads, %s, %,d parameters, %.3f GFLOP per image forward%n",
                o.get("preset").getAsString(), o.get("batch").getAsInt(), o.get("threads").getAsInt(),
                o.get("precision").getAsString(),
                o.get("parameters").getAsLong(), o.get("forwardFlopsPerImage").getAsLong() / 1e9);
        System.out.println("training step (ms)     median      min      max");
        for (String k : new String[] {"msTotal", "msData", "msForward", "msBackward", "msClip", "msAdam", "msEma"}) {
            JsonObject s = tr.getAsJsonObject(k);
            System.out.printf(Locale.ROOT, "  %-18s %9.1f %8.1f %8.1f%n", k.substring(2), s.get("median").getAsDouble(),
                    s.get("min").getAsDouble(), s.get("max").getAsDouble());
        }
        System.out.printf(Locale.ROOT, "  images/s %.1f, %.1f GFLOP/s (3 x forward FLOPs)%n",
                tr.get("imagesPerSecond").getAsDouble(), tr.get("gflopsPerSecond").getAsDouble());
        JsonObject s = sa.getAsJsonObject("msPerStep");
        System.out.printf(Locale.ROOT, "sampling step (ms)     %9.1f %8.1f %8.1f%n  images/s %.1f, %.1f GFLOP/s%n",
                s.get("median").getAsDouble(), s.get("min").getAsDouble(), s.get("max").getAsDouble(),
                sa.get("imagesPerSecond").getAsDouble(), sa.get("gflopsPerSecond").getAsDouble());
        System.out.printf(Locale.ROOT, "peak resident memory %.0f MB%n", o.get("peakRssMb").getAsDouble());
    }
}
