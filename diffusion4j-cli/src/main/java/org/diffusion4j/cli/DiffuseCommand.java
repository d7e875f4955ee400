package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.diffusion4j.io.OutputPaths;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.ImageFolder;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Plots;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.diffusion.NoiseSchedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Shows the forward process: one picture at several t, x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps. */
@Command(name = "diffuse", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw the forward process q(x_t | x_0) for one training image (a strip of x_t, a digit dissolving "
            + "into noise), for your own --image, or for a 2-D data set (a row of scatter plots).",
            "Example: diffusion4j diffuse --index 0 --t 0,50,100,200,400,999 --out strip.png"})
public final class DiffuseCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "mnist", description = "Dataset to take the image from (default: ${DEFAULT-VALUE}); toy:* draws the whole point cloud.")
    String data;

    @Option(names = "--index", defaultValue = "0", description = "Row of the dataset (default: ${DEFAULT-VALUE}).")
    int index;

    @Option(names = "--image", paramLabel = "FILE", description = "Your own PNG/JPEG instead of a dataset row.")
    Path image;

    @Option(names = "--size", defaultValue = "64", description = "Side an --image is resized to (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--t", split = ",",
            description = "Steps to show, 0..T (0 is the clean image; default: 0, T/20, T/10, T/5, 2T/5, T).")
    int[] ts;

    @Mixin
    ScheduleOptions schedule;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "strip.png", description = "Output PNG (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--gif", paramLabel = "FILE", description = "Also an animated GIF of the forward process of 2-D data (40 frames, t = 0..T).")
    Path gif;

    @Override
    public Integer call() {
        OutputPaths.plan().input("--image", image).inputTree("--data", DataOptions.pathOf(data)).file("--out", out)
                .file("--gif", gif).check();
        boolean toy = image == null && data.toLowerCase(java.util.Locale.ROOT).startsWith("toy:");
        NoiseSchedule s = schedule.build(toy);
        if (ts == null) {
            int big = s.steps();
            ts = new int[] {0, big / 20, big / 10, big / 5, 2 * big / 5, big};
        }
        for (int t : ts) {
            if (t < 0 || t > s.steps()) {
                throw new UserException("--t " + t + " is out of range: steps go from 0 (clean) to T = " + s.steps());
            }
        }
        DataSet d = image != null
                ? new DataSet(image.getFileName().toString(), ImageFolder.load(image, size, 3), 1, new long[] {3, size, size})
                : Datasets.open(data);
        boolean points = !d.isImage();
        if (!points && (index < 0 || index >= d.size())) {
            throw new UserException("--index " + index + " is out of range: the data set has rows 0.." + (d.size() - 1));
        }
        TorchRuntime.init();
        TorchRuntime.seed(seed);
        try (NDManager m = TorchRuntime.newManager(); GaussianDiffusion diffusion = new GaussianDiffusion(s, m)) {
            // Images are scaled to [-1, 1] as for training; points are used as they are.
            NDArray x0 = points ? d.toNDArray(m)
                    : m.create(d.row(index), new Shape(d.shape()).slice(1)).expandDims(0).mul(2).sub(1);
            NDArray eps = m.randomNormal(x0.getShape());
            List<float[]> frames = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (int t : ts) {
                NDArray xt = t == 0 ? x0 : diffusion.qSample(x0, m.full(new Shape(x0.getShape().get(0)), t, DataType.INT32), eps);
                float[] v = xt.toFloatArray();
                frames.add(points ? v : ImageGrid.fromMinusOneOne(v));
                labels.add("t=" + t);
            }
            if (points && gif != null) {
                List<java.awt.image.BufferedImage> anim = new ArrayList<>();
                for (int k = 0; k <= 40; k++) {
                    int t = (int) Math.round((double) k * s.steps() / 40);
                    NDArray xt = t == 0 ? x0 : diffusion.qSample(x0, m.full(new Shape(x0.getShape().get(0)), t, DataType.INT32), eps);
                    anim.add(Plots.scatter("t = " + t, List.of(new Plots.Points("x_t", xt.toFloatArray())), Pictures.TOY_RANGE, 400, 400));
                }
                org.diffusion4j.io.GifWriter.write(gif, anim, 80, 1500, true);
            } else if (gif != null) {
                throw new UserException("--gif draws 2-D data only; give --data toy:* (images: use the --out strip)");
            }
            if (points) {
                Pictures.save(out, Plots.scatterRowSingle(labels, frames, Pictures.TOY_RANGE, 260));
            } else {
                long[] row = Arrays.copyOfRange(d.shape(), 1, 4);
                int cell = frames.get(0).length;
                float[] all = new float[cell * frames.size()];
                for (int i = 0; i < frames.size(); i++) {
                    System.arraycopy(frames.get(i), 0, all, i * cell, cell);
                }
                int scale = Math.max(1, 112 / (int) row[1]);
                Pictures.save(out, ImageGrid.labelled(all, new long[] {frames.size(), row[0], row[1], row[2]}, frames.size(), labels, 4, scale));
            }
        }
        System.out.println("wrote " + out + " (" + ts.length + " steps of " + s + ")");
        return 0;
    }
}
