package org.diffusion4j.spark;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code spark-submit --class org.diffusion4j.spark.SparkSampleMain JAR --model URI --n N --out
 * PARQUET [--seed S] [--partitions P] [--batch B] [--grid PNG] [--grid-n K] [--master M]}: the
 * samples 0..N-1 of a model as Parquet (docs/scaling.md), and optionally a PNG grid of the first
 * K rows. Without spark-submit, {@code --master local[2]} runs it in this JVM. Bad arguments end
 * in one line and exit code 2.
 */
public final class SparkSampleMain {
    private static final Set<String> OPTIONS = Set.of("--model", "--n", "--out", "--seed", "--partitions", "--batch", "--master",
            "--grid", "--grid-n");

    private SparkSampleMain() {}

    public static void main(String[] args) {
        JobArgs.exit(SparkSampleMain::run, args);
    }

    static final String USAGE = "usage: diffusion4j spark sample --model FILE_OR_URI --n N --out PARQUET [--seed S] "
            + "[--partitions P] [--batch B] [--grid PNG [--grid-n 64]] [--master local[2]]; the samples 0..N-1 of seed S as "
            + "Parquet rows (index, seed, label, png, values), the same as 'sample' draws by index, and a grid of the first "
            + "rows (docs/scaling.md)";

    static int run(String[] args) {
        JobArgs a = JobArgs.parse(args, OPTIONS);
        if (a == null) {
            System.out.println(USAGE);
            return 0;
        }
        a.require("--model", "--n", "--out");
        JobArgs.requireNew("--out", a.get("--out"), " (Spark writes a folder of Parquet files)");
        JobArgs.requireInput("--model", a.get("--model"));
        long n = a.number("--n", 0, 1);
        long seed = a.number("--seed", 0, 0);
        int partitions = (int) a.number("--partitions", 0, 0);
        int batch = (int) a.number("--batch", 64, 1);
        int gridN = (int) a.number("--grid-n", 64, 1);
        Path grid = a.has("--grid") ? Path.of(a.get("--grid")) : null;
        if (grid != null) {
            if (!grid.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
                throw new org.diffusion4j.UserException("--grid " + grid + ": give a .png file");
            }
            JobArgs.requireNew("--grid", grid.toString(), "");
        }
        // a file that is not a model is refused here, in one line, not in every task (where Spark logs each
        // failure at length); in local mode the tasks of this JVM then find the model loaded
        org.diffusion4j.ddpm.IndexedSamples.shared(SparkSampling.localCopy(a.get("--model")), ai.djl.Device.cpu());
        SparkSession.Builder b = SparkSession.builder().appName("diffusion4j sample");
        if (a.has("--master")) {
            b.master(a.get("--master"));
        }
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel("WARN"); // the partitions' progress lines, not Spark's INFO log
        try {
            int p = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
            long t0 = System.nanoTime();
            SparkSampling.sample(spark, a.get("--model"), n, seed, p, batch, null).write().parquet(a.get("--out"));
            double sec = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%d samples in %.1f s (%.2f samples/s, %d partitions, master %s) -> %s%n", n, sec,
                    n / sec, p, spark.sparkContext().master(), a.get("--out"));
            if (grid != null) {
                // read back from the Parquet just written: the samples are not drawn twice
                List<Row> first = spark.read().parquet(JobArgs.literal(a.get("--out"))).filter("index < " + gridN).orderBy("index")
                        .select("png", "values").collectAsList();
                SparkSampling.Grid g = SparkSampling.grid(first);
                if (g == null) {
                    System.out.println("no grid: the samples are points, not images");
                } else {
                    org.diffusion4j.io.ImageGrid.writePng(grid, g.image());
                    System.out.printf(Locale.ROOT, "wrote %s: samples 0..%d as a grid%n", grid, g.count() - 1);
                }
            }
        } finally {
            spark.stop();
        }
        return 0;
    }
}
