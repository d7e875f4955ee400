package org.diffusion4j.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import picocli.CommandLine.Option;

/** The dataset options shared by every command that reads training data. */
public final class DataOptions {
    @Option(names = "--data", defaultValue = "mnist", description = {
        "Dataset (default: ${DEFAULT-VALUE}, the bundled MNIST training set): mnist, mnist:test, "
            + "toy:moons|swissroll|8gaussians|checkerboard|circles, an IDX images file (labels beside it or --labels), "
            + "a folder of PNG/JPEG images, a .npy or a .csv of 2-D points."})
    String spec;

    @Option(names = "--labels", description = "IDX labels file for an IDX images file given by path.")
    Path labels;

    @Option(names = "--image-size", defaultValue = "28", description = "Side images from a folder are resized to (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--channels", defaultValue = "1", description = "Channels of images from a folder: 1 (grayscale) or 3 (RGB) (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--toy-n", defaultValue = "10000", description = "Points drawn for toy:* data sets (default: ${DEFAULT-VALUE}).")
    int toyN;

    @Option(names = "--subset", defaultValue = "0", description = "Use only the first N rows (0: all).")
    int subset;

    public DataSet open(long seed) {
        if (subset < 0) {
            throw new UserException("--subset must be >= 0, got " + subset);
        }
        if (channels != 1 && channels != 3) {
            throw new UserException("--channels must be 1 or 3, got " + channels);
        }
        if (imageSize < 4 || imageSize > 1024) {
            throw new UserException("--image-size must be in 4..1024, got " + imageSize);
        }
        Datasets.Options o = new Datasets.Options().n(toyN).seed(seed).imageSize(imageSize).channels(channels)
                .imageReport(r -> {
                    if (!r.clean()) {
                        System.err.println(r.describe());
                    }
                });
        if (labels != null) {
            o.labels(labels);
        }
        DataSet d = Datasets.open(spec, o);
        return subset > 0 && subset < d.size() ? d.subset(subset) : d;
    }

    /** The file or folder a data spec names, or null for a named data set (mnist, toy:moons) or a missing path. */
    static Path pathOf(String spec) {
        if (spec == null || spec.contains(":") && !spec.contains("/") && !spec.contains("\\")) {
            return null;
        }
        Path p = Path.of(spec);
        return java.nio.file.Files.exists(p) ? p : null;
    }

    /** Adds the data read (a folder with all it holds) and its labels file to a command's paths to check. */
    org.diffusion4j.io.OutputPaths.Plan addTo(org.diffusion4j.io.OutputPaths.Plan plan) {
        return plan.inputTree("--data", pathOf(spec)).input("--labels", labels);
    }

    /** These options as a command line gives them (for another command on the same data). */
    java.util.List<String> args() {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("--data", spec, "--image-size",
                Integer.toString(imageSize), "--channels", Integer.toString(channels), "--toy-n", Integer.toString(toyN),
                "--subset", Integer.toString(subset)));
        if (labels != null) {
            a.addAll(java.util.List.of("--labels", labels.toString()));
        }
        return a;
    }

    /** What is saved in config.json so that --resume opens the same data. */
    public JsonObject describe(long seed) {
        JsonObject o = new JsonObject();
        o.addProperty("spec", spec);
        if (labels != null) {
            o.addProperty("labels", labels.toString());
        }
        o.addProperty("imageSize", imageSize);
        o.addProperty("channels", channels);
        o.addProperty("toyN", toyN);
        o.addProperty("subset", subset);
        o.addProperty("seed", seed);
        return o;
    }

    /** The data description saved in a run folder's (or checkpoint file's) header. */
    public static JsonObject describedIn(Path runOrCheckpoint) {
        Path file = java.nio.file.Files.isDirectory(runOrCheckpoint)
                ? runOrCheckpoint.resolve(org.diffusion4j.train.Trainer.CHECKPOINT) : runOrCheckpoint;
        try (ai.djl.ndarray.NDManager m = org.diffusion4j.TorchRuntime.newManager()) {
            JsonObject model = JsonParser.parseString(org.diffusion4j.train.Checkpoint.read(file, m).modelJson()).getAsJsonObject();
            if (model == null || !model.has("data") || !model.get("data").isJsonObject()
                    || !model.getAsJsonObject("data").has("spec")) {
                throw new UserException(file + " does not say which data it was trained on; give --data");
            }
            return model.getAsJsonObject("data");
        }
    }

    /** Re-opens the data a run was trained on. */
    public static DataSet reopen(JsonObject o) {
        DataOptions d = new DataOptions();
        d.spec = o.get("spec").getAsString();
        d.labels = o.has("labels") ? Path.of(o.get("labels").getAsString()) : null;
        d.imageSize = o.get("imageSize").getAsInt();
        d.channels = o.get("channels").getAsInt();
        d.toyN = o.get("toyN").getAsInt();
        d.subset = o.get("subset").getAsInt();
        return d.open(o.get("seed").getAsLong());
    }
}
