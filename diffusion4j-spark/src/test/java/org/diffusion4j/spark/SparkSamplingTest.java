package org.diffusion4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffusion4j.classifier.Classifier;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.eval.SampleMoments;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.SamplerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In local mode with two executor threads, the job's rows are Ddpm.sample's by index, through Parquet too. */
class SparkSamplingTest {
    private static final DdpmSpec SPEC = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 8, 8, NoiseSchedule.ddpm(), LossType.L2);
    /** A tiny U-Net on MNIST's shape, for the digit classifier. */
    private static final DdpmSpec DIGITS = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 28, 28, NoiseSchedule.ddpm(), LossType.L2);
    private static final SamplerSettings SDE = SamplerSettings.of(SamplerSettings.Kind.DPMPP_2M_SDE).withSteps(3).withEta(1.1);

    @Test
    void localTwoEqualsOneProcessByIndex(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.safetensors");
        int n = 7;
        float[] expected;
        try (Ddpm d = Ddpm.create(SPEC, 4)) {
            d.save(file);
        }
        try (Ddpm d = Ddpm.load(file)) {
            // another batch size than the job's: exact sampling makes the samples the same bit for bit
            expected = Pictures.toDisplay(SPEC, d.sampling(n).batch(64).sampler(SDE).seed(9).draw());
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("diffusion4j-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        try {
            Dataset<Row> rows = SparkSampling.sample(spark, file.toString(), n, 9, 3, 2, SDE);
            assertEquals(3, rows.rdd().getNumPartitions());
            String out = dir.resolve("samples.parquet").toString();
            rows.write().parquet(out);
            List<Row> back = spark.read().parquet(out).orderBy("index").collectAsList();
            assertEquals(n, back.size());
            for (int i = 0; i < n; i++) {
                Row r = back.get(i);
                assertEquals(i, r.getLong(r.fieldIndex("index")));
                assertEquals(9, r.getLong(r.fieldIndex("seed")));
                assertEquals(-1, r.getInt(r.fieldIndex("label")));
                List<Float> values = r.getList(r.fieldIndex("values"));
                float[] got = new float[values.size()];
                for (int k = 0; k < got.length; k++) {
                    got[k] = values.get(k);
                }
                float[] want = new float[64];
                System.arraycopy(expected, i * 64, want, 0, 64);
                assertArrayEquals(want, got, 0f, "sample " + i);
                BufferedImage img = ImageIO.read(new ByteArrayInputStream((byte[]) r.get(r.fieldIndex("png"))));
                assertEquals(8, img.getWidth());
            }
            // the distributed evaluation: moments merged from the partitions equal the whole set's
            Path classifier = Path.of(System.getProperty("diffusion4j.home", "..")).resolve("models/classifier-mnist.safetensors");
            int m = 6;
            float[] digits;
            try (Ddpm d = Ddpm.create(DIGITS, 2)) {
                d.save(dir.resolve("digits.safetensors"));
                digits = Pictures.toDisplay(DIGITS, d.sampling(m).batch(2).sampler(SDE).seed(1).draw());
            }
            SampleMoments whole;
            try (ai.djl.ndarray.NDManager nm = org.diffusion4j.TorchRuntime.newManager()) {
                Classifier.Outputs o = Classifier.load(classifier, nm).evaluate(digits, m, 4);
                whole = SampleMoments.of(o.features(), o.probabilities());
            }
            Dataset<Row> drawn = SparkSampling.sample(spark, dir.resolve("digits.safetensors").toString(), m, 1, 3, 2, SDE);
            SampleMoments merged = SparkSampling.moments(drawn, classifier.toString(), 4);
            assertEquals(m, merged.count());
            assertArrayEquals(whole.gaussian().mean(), merged.gaussian().mean(), 1e-4);
            assertArrayEquals(whole.gaussian().covariance().data, merged.gaussian().covariance().data, 1e-4);
            assertEquals(0, merged.fid(whole.gaussian()), 1e-3);
            assertEquals(whole.inceptionScore(), merged.inceptionScore(), 1e-4);
            assertEquals(whole.confidentFraction(), merged.confidentFraction(), 0);
            assertArrayEquals(whole.histogram(), merged.histogram());
        } finally {
            spark.stop();
        }
    }
}
