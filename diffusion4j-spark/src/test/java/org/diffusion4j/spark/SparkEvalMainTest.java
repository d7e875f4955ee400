package org.diffusion4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.UserException;
import org.diffusion4j.classifier.Classifier;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.eval.SampleQuality;
import org.diffusion4j.io.ImageGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 'spark eval' scores a Parquet of images as 'eval samples' (SampleQuality.score) scores the same
 * images in one process; its bad arguments are refused in one line, before Spark starts.
 */
class SparkEvalMainTest {
    private static final Path HOME = Path.of(System.getProperty("diffusion4j.home", ".."));
    private static final String CLASSIFIER = HOME.resolve("models/classifier-mnist.safetensors").toString();

    private static void refused(String expected, String... args) {
        UserException e = assertThrows(UserException.class, () -> SparkEvalMain.run(args));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), expected + " expected in: " + e.getMessage());
    }

    @Test
    void badArguments(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("s.parquet"));
        String s = dir.resolve("s.parquet").toString();
        refused("--samples must be given", "--batch", "4");
        refused("unknown option '--npy'", "--npy", "x.npy");
        refused("--samples needs a value", "--samples");
        refused("no such folder", "--samples", dir.resolve("none").toString());
        refused("--classifier " + dir.resolve("c.safetensors") + ": no such file", "--samples", s, "--classifier",
                dir.resolve("c.safetensors").toString());
        refused("--batch must be >= 1", "--samples", s, "--classifier", CLASSIFIER, "--batch", "0");
        refused("--reference-n must be a whole number", "--samples", s, "--classifier", CLASSIFIER, "--reference-n", "many");
    }

    @Test
    void equalsEvalSamplesOnTheSameImages(@TempDir Path dir) throws Exception {
        int n = 300;
        DataSet images = Datasets.open("mnist:train").subset(n);
        DataSet reference = Datasets.open("mnist:test").subset(1000);
        SampleQuality.Scores expected;
        try (NDManager m = TorchRuntime.newManager(); Classifier c = Classifier.load(Path.of(CLASSIFIER), m)) {
            expected = new SampleQuality(c, reference, 64).score(images); // what 'eval samples' prints
        }
        List<Row> rows = new ArrayList<>();
        int size = images.rowSize();
        for (int i = 0; i < n; i++) {
            float[] v = Arrays.copyOfRange(images.data(), i * size, (i + 1) * size);
            byte[] png = ImageGrid.pngBytes(ImageGrid.grid(v, new long[] {1, 1, 28, 28}, 1, 0, 1));
            rows.add(SparkSampling.row(i, 0, -1, png, v));
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("diffusion4j-test")
                .config("spark.ui.enabled", "false").getOrCreate();
        String out = dir.resolve("samples[1].parquet").toString(); // brackets: read as a folder, not a Hadoop glob
        try {
            spark.createDataFrame(rows, SparkSampling.SCHEMA).repartition(3).write().parquet(out);
            Dataset<Row> back = spark.read().parquet(JobArgs.literal(out));
            assertTrue(back.rdd().getNumPartitions() >= 2, "several partitions");
            SparkEvalMain.Result r = SparkEvalMain.evaluate(back, CLASSIFIER, reference, 64);
            assertEquals(n, r.moments().count());
            assertEquals(expected.fid(), r.fid(), 1e-6 * (1 + expected.fid()));
            assertEquals(expected.inceptionScore(), r.moments().inceptionScore(), 1e-6);
            assertEquals(expected.confidentFraction(), r.moments().confidentFraction(), 0);
            assertArrayEquals(Arrays.stream(expected.histogram()).asLongStream().toArray(), r.moments().histogram());
            assertArrayEquals(expected.confidentByClass(), r.moments().confidentByClass(), 1e-12);

            // the first rows as a grid, as 'spark sample --grid' draws them: 2 per row, twice the size, 2 pixels apart
            SparkSampling.Grid g = SparkSampling.grid(back.filter("index < 4").orderBy("index").select("png", "values").collectAsList());
            assertNotNull(g);
            assertEquals(4, g.count());
            assertEquals(2 * (56 + 2) + 2, g.image().getWidth());
            assertEquals(2 * (56 + 2) + 2, g.image().getHeight());

            // the entry point prints those numbers as 'eval samples' does (it reuses this session and stops it)
            PrintStream stdout = System.out;
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            try {
                assertEquals(0, SparkEvalMain.run(new String[] {"--samples", out, "--classifier", CLASSIFIER, "--reference",
                    "mnist:test", "--reference-n", "1000", "--batch", "64"}));
            } finally {
                System.setOut(stdout);
            }
            String text = printed.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains(String.format(Locale.ROOT, "%-24s %12.3f", "FID", expected.fid())), text);
            assertTrue(text.contains(String.format(Locale.ROOT, "%-24s %11.1f%%", "confident (p >= 0.9)",
                    100 * expected.confidentFraction())), text);
            assertTrue(text.contains(String.format(Locale.ROOT, "  1 %6d", expected.histogram()[1])), text);
        } finally {
            spark.stop();
        }
    }
}
