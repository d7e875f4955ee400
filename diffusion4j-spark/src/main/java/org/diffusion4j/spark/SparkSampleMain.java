package org.diffusion4j.spark;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.diffusion4j.UserException;

/**
 * {@code spark-submit --class org.diffusion4j.spark.SparkSampleMain JAR --model URI --n N --out
 * PARQUET [--seed S] [--partitions P] [--batch B] [--master M]}: the samples 0..N-1 of a model
 * as Parquet (docs/scaling.md). Without spark-submit, {@code --master local[2]} runs it in this
 * JVM. Bad arguments end in one line and exit code 2.
 */
public final class SparkSampleMain {
    private static final Set<String> OPTIONS = Set.of("--model", "--n", "--out", "--seed", "--partitions", "--batch", "--master");

    private SparkSampleMain() {}

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (RuntimeException e) {
            // a one-line refusal, also when it was raised in a task and came back wrapped by Spark
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof UserException) {
                    System.err.println("diffusion4j-spark: " + t.getMessage());
                    System.exit(2);
                }
            }
            throw e;
        }
    }

    static final String USAGE = "usage: diffusion4j spark sample --model FILE_OR_URI --n N --out PARQUET [--seed S] "
            + "[--partitions P] [--batch B] [--master local[2]]; the samples 0..N-1 of seed S as Parquet rows (index, seed, "
            + "label, png, values), the same as 'sample' draws by index (docs/scaling.md)";

    static int run(String[] args) {
        if (args.length == 0 || java.util.Arrays.asList(args).contains("--help")) {
            System.out.println(USAGE);
            return 0;
        }
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!OPTIONS.contains(args[i]) || i + 1 >= args.length) {
                throw new UserException(OPTIONS.contains(args[i]) ? args[i] + " needs a value" : "unknown option '" + args[i]
                        + "'; the options are " + new java.util.TreeSet<>(OPTIONS));
            }
            a.put(args[i], args[i + 1]);
        }
        for (String required : new String[] {"--model", "--n", "--out"}) {
            if (!a.containsKey(required)) {
                throw new UserException(required + " must be given");
            }
        }
        if (java.nio.file.Files.exists(java.nio.file.Path.of(a.get("--out")))) {
            throw new UserException("--out " + a.get("--out") + " exists; give a new path (Spark writes a folder of Parquet files)");
        }
        String model = a.get("--model");
        java.net.URI u;
        try {
            u = java.net.URI.create(model);
        } catch (IllegalArgumentException e) {
            throw new UserException("--model " + model + " is neither a path nor a URI");
        }
        if ((u.getScheme() == null || "file".equals(u.getScheme())) && !java.nio.file.Files.exists(SparkSampling.localCopy(model))) {
            throw new UserException("--model " + model + ": no such file");
        }
        long n = number(a, "--n", null);
        long seed = number(a, "--seed", "0");
        int partitions = (int) number(a, "--partitions", "0");
        int batch = (int) number(a, "--batch", "64");
        SparkSession.Builder b = SparkSession.builder().appName("diffusion4j sample");
        if (a.containsKey("--master")) {
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
        } finally {
            spark.stop();
        }
        return 0;
    }

    private static long number(Map<String, String> a, String key, String dflt) {
        String v = a.getOrDefault(key, dflt);
        try {
            long x = Long.parseLong(v.strip());
            if (x < 0 || (key.equals("--n") || key.equals("--batch")) && x < 1) {
                throw new UserException(key + " must be " + (key.equals("--n") || key.equals("--batch") ? ">= 1" : ">= 0")
                        + ", got " + v);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new UserException(key + " must be a whole number, got '" + v + "'");
        }
    }
}
