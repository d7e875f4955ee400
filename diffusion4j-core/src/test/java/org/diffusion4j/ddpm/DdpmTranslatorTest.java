package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import javax.imageio.ImageIO;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.SamplerSettings;
import org.diffusion4j.io.ImageGrid;
import org.junit.jupiter.api.Test;

/** Through DJL's Predictor a model draws the grid of the samples the library draws for the same request. */
class DdpmTranslatorTest {
    @Test
    void aPredictorDrawsTheLibrarysSamples() throws Exception {
        DdpmSpec spec = DdpmSpec.unet(UNetConfig.preset("tiny", 1).toBuilder().numClasses(3).build(), 1, 8, 8, NoiseSchedule.ddpm(),
                LossType.L2);
        try (Ddpm ddpm = Ddpm.create(spec, 5); NDManager m = TorchRuntime.newManager()) {
            ddpm.setDefaultSampler(SamplerSettings.of(SamplerSettings.Kind.DDIM).withSteps(3).withEta(1.0));
            BufferedImage expected = ImageGrid.grid(ddpm.sampling(4).seed(9).classLabel(2).guidance(0.5).manager(m).draw(),
                    ImageGrid.Range.MINUS_ONE_ONE, 2);
            try (ZooModel<Input, Output> zoo = DdpmTranslator.model(ddpm); Predictor<Input, Output> p = zoo.newPredictor()) {
                Input in = new Input();
                in.add("n", "4");
                in.add("seed", "9");
                in.add("class", "2");
                in.addProperty("guidance", "0.5");
                Output out = p.predict(in);
                assertEquals("image/png", out.getProperty("Content-Type", null));
                BufferedImage got = ImageIO.read(new ByteArrayInputStream(out.getData().getAsBytes()));
                assertEquals(expected.getWidth(), got.getWidth());
                assertArrayEquals(expected.getRGB(0, 0, expected.getWidth(), expected.getHeight(), null, 0, expected.getWidth()),
                        got.getRGB(0, 0, got.getWidth(), got.getHeight(), null, 0, got.getWidth()));
                Input bad = new Input();
                bad.add("n", "many");
                Throwable e = assertThrows(Exception.class, () -> p.predict(bad));
                while (e.getCause() != null && !(e instanceof org.diffusion4j.InvalidArgumentException)) {
                    e = e.getCause();
                }
                assertEquals("n 'many' is not a whole number", e.getMessage());
            }
        }
    }
}
