package org.diffusion4j.spark;

import ai.djl.Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.diffusion4j.UserException;
import org.diffusion4j.classifier.Classifier;
import org.diffusion4j.eval.SampleMoments;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.IndexedSamples;
import org.diffusion4j.diffusion.SamplerSettings;

/**
 * N samples of a DDPM drawn across a Spark cluster: the indices 0..N-1 cut into partitions at
 * multiples of the batch size ({@link IndexedSamples#partitions}), each executor JVM loading the
 * model once (from any Hadoop file system path) and drawing its partitions' indices. Because
 * sample i depends only on (seed, i) (noise per sample, and exact sampling: network calls of fixed
 * chunks aligned to the index), the rows are the single-process samples by index, bit for bit,
 * whatever the partitioning and batch size, given the same PyTorch thread count in each process.
 */
public final class SparkSampling {
    /** The rows: index, seed, class label (-1: unconditional), the image as PNG (null for points), the values in display units. */
    public static final StructType SCHEMA = new StructType()
            .add("index", DataTypes.LongType, false)
            .add("seed", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("png", DataTypes.BinaryType, true)
            .add("values", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    /** Local copies of model files read from other file systems, one per JVM and URI. */
    private static final Map<String, Path> LOCAL = new ConcurrentHashMap<>();

    private SparkSampling() {}

    /**
     * The samples 0..n-1 of {@code seed} as a Dataset of {@link #SCHEMA}, in (at most) {@code
     * partitions} partitions; {@code sampler} null: the model's recommended sampler.
     */
    public static Dataset<Row> sample(SparkSession spark, String modelUri, long n, long seed, int partitions, int batch,
            SamplerSettings sampler) {
        List<long[]> ranges = IndexedSamples.partitions(n, partitions, batch);
        String samplerJson = sampler == null ? null : sampler.toJson();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Row> rows = jsc.parallelize(ranges, ranges.size())
                .flatMap(r -> drawRange(modelUri, samplerJson, seed, n, r, batch).iterator());
        return spark.createDataFrame(rows, SCHEMA);
    }

    /**
     * The mergeable sample-quality statistics of the images of {@code samples} (a Dataset of
     * {@link #SCHEMA}) under the classifier at {@code classifierUri}: each partition's classifier
     * features and probabilities reduced to a {@link SampleMoments} on its executor, merged on the
     * driver. FID against a reference is {@code moments.fid(reference)}; the confident fraction,
     * histogram and Inception-Score analogue are the moments' too.
     */
    public static SampleMoments moments(Dataset<Row> samples, String classifierUri, int batch) {
        return samples.select("values").javaRDD().mapPartitions((java.util.Iterator<Row> it) -> {
            long t0 = System.nanoTime();
            List<float[]> images = new ArrayList<>();
            while (it.hasNext()) {
                images.add(values(it.next(), 0));
            }
            if (images.isEmpty()) {
                return java.util.Collections.<SampleMoments>emptyIterator();
            }
            int size = images.get(0).length;
            float[] data = new float[images.size() * size];
            for (int i = 0; i < images.size(); i++) {
                if (images.get(i).length != size) {
                    throw new UserException("the samples are not all of one size (" + size + " and " + images.get(i).length
                            + " values)");
                }
                System.arraycopy(images.get(i), 0, data, i * size, size);
            }
            Classifier c = sharedClassifier(localCopy(classifierUri, "the classifier"));
            Classifier.Outputs o;
            synchronized (c) { // a classifier evaluates in one thread at a time (docs/library.md)
                o = c.evaluate(data, images.size(), batch);
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "diffusion4j-spark: partition %d: %d images classified in %.1f s (%.1f images/s)%n",
                    org.apache.spark.TaskContext.getPartitionId(), images.size(), sec, images.size() / sec);
            return List.of(SampleMoments.of(o.features(), o.probabilities())).iterator();
        }).reduce(SampleMoments::merge);
    }

    /** The float array of column {@code field} of a row of {@link #SCHEMA} (the values of a sample). */
    static float[] values(Row row, int field) {
        List<Float> v = row.getList(field);
        float[] a = new float[v.size()];
        for (int k = 0; k < a.length; k++) {
            a[k] = v.get(k);
        }
        return a;
    }

    /** A row of {@link #SCHEMA}. */
    static Row row(long index, long seed, int label, byte[] png, float[] values) {
        List<Float> v = new ArrayList<>(values.length);
        for (float x : values) {
            v.add(x);
        }
        // an array column of a Row is a Scala Seq
        return RowFactory.create(index, seed, label, png, scala.jdk.javaapi.CollectionConverters.asScala(v).toSeq());
    }

    /** A grid picture of sample rows and how many it shows. */
    record Grid(java.awt.image.BufferedImage image, int count) {}

    /**
     * The images of rows with the columns {@code png} and {@code values} (in that order) as one
     * grid, ceil(sqrt(N)) per row, drawn twice their size with 2 pixels between them (as {@code
     * sample} draws its grid); null when the rows hold points (no PNG) or there are none.
     */
    static Grid grid(List<Row> rows) {
        if (rows.isEmpty() || rows.get(0).isNullAt(0)) {
            return null;
        }
        java.awt.image.BufferedImage first;
        try {
            first = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream((byte[]) rows.get(0).get(0)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int size = rows.get(0).getList(1).size();
        int h = first.getHeight();
        int w = first.getWidth();
        float[] data = new float[rows.size() * size];
        for (int i = 0; i < rows.size(); i++) {
            float[] v = values(rows.get(i), 1);
            System.arraycopy(v, 0, data, i * size, size);
        }
        long[] shape = {rows.size(), size / (h * w), h, w};
        int nrow = (int) Math.ceil(Math.sqrt(rows.size()));
        return new Grid(org.diffusion4j.io.ImageGrid.grid(data, shape, nrow, 2, 2), rows.size());
    }

    /** Classifiers loaded in this JVM, by local file. */
    private static final Map<Path, Classifier> CLASSIFIERS = new ConcurrentHashMap<>();

    private static Classifier sharedClassifier(Path file) {
        return CLASSIFIERS.computeIfAbsent(file.toAbsolutePath().normalize(),
                f -> Classifier.load(f, org.diffusion4j.TorchRuntime.newManager()));
    }

    /** One partition's rows (runs on an executor; reports its progress on the executor's standard error). */
    static List<Row> drawRange(String modelUri, String samplerJson, long seed, long n, long[] range, int batch) {
        long t0 = System.nanoTime();
        Ddpm ddpm = IndexedSamples.shared(localCopy(modelUri), Device.cpu());
        SamplerSettings s = samplerJson == null ? null : SamplerSettings.fromJson(samplerJson);
        List<IndexedSamples.Row> drawn = IndexedSamples.draw(ddpm, s, seed, n, range[0], (int) range[1], batch);
        List<Row> rows = new ArrayList<>(drawn.size());
        for (IndexedSamples.Row r : drawn) {
            rows.add(row(r.index(), r.seed(), r.label(), r.png(), r.values()));
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        System.err.printf(Locale.ROOT, "diffusion4j-spark: samples %d..%d of %d in %.1f s (%.2f samples/s)%n", range[0],
                range[0] + range[1] - 1, n, sec, range[1] / sec);
        return rows;
    }

    /**
     * A local file of the model at {@code uri}: a local path as it is; another file system's
     * (hdfs://, s3a://, through the Hadoop connectors on the class path) copied once per JVM.
     */
    static Path localCopy(String uri) {
        return localCopy(uri, "the model");
    }

    /** As {@link #localCopy(String)}; {@code what} names the file in a refusal. */
    static Path localCopy(String uri, String what) {
        URI u;
        try {
            u = URI.create(uri);
        } catch (IllegalArgumentException e) {
            return Path.of(uri); // not a URI (brackets or spaces in a local path): the local file itself
        }
        if (u.getScheme() == null || "file".equals(u.getScheme())) {
            return u.getScheme() == null ? Path.of(uri) : Path.of(u);
        }
        return LOCAL.computeIfAbsent(uri, k -> {
            try {
                Path tmp = Files.createTempFile("diffusion4j-model-", ".safetensors");
                tmp.toFile().deleteOnExit();
                try (FileSystem fs = FileSystem.newInstance(u, new Configuration())) {
                    fs.copyToLocalFile(new org.apache.hadoop.fs.Path(uri), new org.apache.hadoop.fs.Path(tmp.toUri()));
                }
                return tmp;
            } catch (IOException e) {
                throw new UserException(what + " " + uri + " could not be read: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new UncheckedIOException(new IOException(what + " " + uri + " could not be read: " + e, e));
            }
        });
    }
}
