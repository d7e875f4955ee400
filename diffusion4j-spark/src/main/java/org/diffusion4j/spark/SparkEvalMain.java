package org.diffusion4j.spark;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.classifier.Classifier;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.eval.Fid;
import org.diffusion4j.eval.SampleMoments;
import org.diffusion4j.eval.SampleQuality;

/**
 * {@code spark-submit --class org.diffusion4j.spark.SparkEvalMain JAR --samples PARQUET
 * [--classifier URI] [--reference mnist:test] [--reference-n N] [--batch B] [--master M]}: the
 * scores of {@code eval samples} (FID against the reference, the Inception-Score analogue, the
 * confident fraction and the class histogram) of a Parquet of samples ({@link SparkSampling#SCHEMA},
 * what {@link SparkSampleMain} writes). The classifier runs over each partition's images on its
 * executor; the partitions' {@link SampleMoments} merge on the driver, which also fits the
 * reference (10,000 images of MNIST's test set: a few seconds). Bad arguments end in one line and
 * exit code 2.
 */
public final class SparkEvalMain {
    private static final Set<String> OPTIONS = Set.of("--samples", "--classifier", "--reference", "--reference-n", "--batch",
            "--master");

    static final String USAGE = "usage: diffusion4j spark eval --samples PARQUET [--classifier FILE_OR_URI] "
            + "[--reference mnist:test] [--reference-n N] [--batch 256] [--master local[2]]; FID, the IS analogue, the confident "
            + "fraction and the class histogram of the samples, as 'eval samples' prints them, the classifier run on the "
            + "executors (docs/scaling.md)";

    private SparkEvalMain() {}

    public static void main(String[] args) {
        JobArgs.exit(SparkEvalMain::run, args);
    }

    /** The merged statistics of the samples and the reference Gaussian they are scored against. */
    record Result(SampleMoments moments, Fid.Gaussian reference, int referenceCount, int features) {
        double fid() {
            return moments.fid(reference);
        }
    }

    /** The bundled digit classifier: models/classifier-mnist.safetensors under the repository root. */
    static String defaultClassifier() {
        String home = System.getProperty("diffusion4j.home");
        return (home != null ? Path.of(home) : Path.of(".")).resolve("models/classifier-mnist.safetensors").toString();
    }

    static int run(String[] args) {
        JobArgs a = JobArgs.parse(args, OPTIONS);
        if (a == null) {
            System.out.println(USAGE);
            return 0;
        }
        a.require("--samples");
        String samples = a.get("--samples");
        if (!samples.contains("://") && !java.nio.file.Files.isDirectory(Path.of(samples))
                && !java.nio.file.Files.isRegularFile(Path.of(samples))) {
            throw new UserException("--samples " + samples + ": no such folder; give the Parquet that 'spark sample --out' wrote");
        }
        String classifier = a.get("--classifier", defaultClassifier());
        JobArgs.requireInput("--classifier", classifier);
        String reference = a.get("--reference", "mnist:test");
        int referenceN = (int) a.number("--reference-n", 0, 0);
        int batch = (int) a.number("--batch", 256, 1);
        DataSet ref = Datasets.open(reference); // before Spark starts: a bad --reference is one line
        if (referenceN > 0 && referenceN < ref.size()) {
            ref = ref.subset(referenceN);
        }
        SparkSession.Builder b = SparkSession.builder().appName("diffusion4j eval");
        if (a.has("--master")) {
            b.master(a.get("--master"));
        }
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            long t0 = System.nanoTime();
            Dataset<Row> rows = spark.read().parquet(JobArgs.literal(samples));
            Result r = evaluate(rows, classifier, ref, batch);
            double sec = (System.nanoTime() - t0) / 1e9;
            print(r, samples, classifier, reference, rows.rdd().getNumPartitions(), spark.sparkContext().master(), sec);
        } finally {
            spark.stop();
        }
        return 0;
    }

    /**
     * The scores of the images of {@code samples} (a Dataset of {@link SparkSampling#SCHEMA})
     * against the classifier's Gaussian of {@code reference}, fitted on the driver.
     */
    static Result evaluate(Dataset<Row> samples, String classifierUri, DataSet reference, int batch) {
        Fid.Gaussian g;
        int features;
        try (NDManager m = TorchRuntime.newManager(); Classifier c = Classifier.load(SparkSampling.localCopy(classifierUri, "the classifier"), m)) {
            c.requireRowShape(reference.rowShape(), reference.name());
            long rowSize = 1;
            for (long d : c.rowShape()) {
                rowSize *= d;
            }
            Row first = samples.select("values").first();
            if (first.getList(0).size() != rowSize) {
                throw new UserException("the samples have " + first.getList(0).size() + " values each; the classifier takes images "
                        + java.util.Arrays.toString(c.rowShape()) + " (" + rowSize + " values)");
            }
            g = new SampleQuality(c, reference, batch).reference();
            features = c.config().hidden();
        }
        SampleMoments moments = SparkSampling.moments(samples, classifierUri, batch);
        if (moments.count() < 2) {
            throw new UserException("the samples hold " + moments.count() + " image; FID needs at least 2 (better 1000 or more)");
        }
        return new Result(moments, g, reference.size(), features);
    }

    private static void print(Result r, String what, String classifier, String reference, int partitions, String master, double sec) {
        SampleMoments s = r.moments();
        System.out.printf(Locale.ROOT, "%d images of %s scored by %s against %d images of %s (%.1f s, %d partitions, master %s)%n",
                s.count(), what, classifier, r.referenceCount(), reference, sec, partitions, master);
        if (s.count() < r.features()) {
            System.out.println("note: fewer images than the " + r.features() + " feature dimensions: FID is dominated by its small-sample bias");
        }
        System.out.printf(Locale.ROOT, "%-24s %12s%n", "", "samples");
        System.out.printf(Locale.ROOT, "%-24s %12.3f%n", "FID", r.fid());
        System.out.printf(Locale.ROOT, "%-24s %12.3f%n", "IS analogue (max 10)", s.inceptionScore());
        System.out.printf(Locale.ROOT, "%-24s %11.1f%%%n", "confident (p >= 0.9)", 100 * s.confidentFraction());
        System.out.println("class histogram (samples); conf: the fraction of those predicted as the class with confidence >= 0.9");
        long[] h = s.histogram();
        double[] conf = s.confidentByClass();
        for (int k = 0; k < h.length; k++) {
            int w = (int) Math.round(40.0 * h[k] / s.count());
            System.out.printf(Locale.ROOT, "  %d %6d %5.1f%%  %-20s conf %5.1f%%%n", k, h[k], 100.0 * h[k] / s.count(),
                    "#".repeat(Math.min(w, 20)), 100 * conf[k]);
        }
    }
}
