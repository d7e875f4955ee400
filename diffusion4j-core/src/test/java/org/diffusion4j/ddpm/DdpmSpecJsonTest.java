package org.diffusion4j.ddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.net.MlpDenoiser;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.junit.jupiter.api.Test;

class DdpmSpecJsonTest {
    @Test
    void jsonRoundTrip() {
        DdpmSpec unet = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 2, 8, 12,
                NoiseSchedule.of(NoiseSchedule.Kind.COSINE, 50, 1e-4, 0.02), LossType.L1);
        assertEquals(unet, DdpmSpec.fromJson(unet.toJson()));
        DdpmSpec mlp = DdpmSpec.mlp(new MlpDenoiser.Config(3, 32, 2, 8), NoiseSchedule.linear(100, 1e-3, 0.2), LossType.L2);
        assertEquals(mlp, DdpmSpec.fromJson(mlp.toJson()));
        assertNotEquals(unet, mlp);
        assertNotEquals(mlp, DdpmSpec.mlp(new MlpDenoiser.Config(3, 32, 2, 8), NoiseSchedule.linear(100, 1e-3, 0.3), LossType.L2));
    }

    /** The "spec" in the header of models/ddpm-mnist.safetensors, written by the class this record replaced. */
    @Test
    void oldUNetJsonStillParses() {
        DdpmSpec s = DdpmSpec.fromJson("{\"network\": \"unet\", \"config\": {\"inChannels\": 1, \"outChannels\": 1, \"ch\": 32,"
                + " \"chMult\": [1, 2, 4], \"numResBlocks\": 2, \"attnResolutions\": [7], \"dropout\": 0.1, \"groups\": 8},"
                + " \"rowShape\": [1, 28, 28], \"schedule\": {\"kind\": \"linear\", \"T\": 1000, \"betaStart\": 0.0001,"
                + " \"betaEnd\": 0.02}, \"loss\": \"L2\"}");
        assertTrue(s.isImage());
        assertEquals(UNetConfig.preset("mnist", 1), s.unetConfig());
        assertArrayEquals(new long[] {1, 28, 28}, s.rowShape());
        assertEquals(NoiseSchedule.Kind.LINEAR, s.schedule().kind());
        assertEquals(1000, s.schedule().steps());
        assertEquals(1e-4, s.schedule().betaStart());
        assertEquals(0.02, s.schedule().betaEnd());
        assertEquals(LossType.L2, s.loss());
    }

    /** The "spec" of a moons run's config.json written by the old class. */
    @Test
    void oldMlpJsonStillParses() {
        DdpmSpec s = DdpmSpec.fromJson("{\"network\": \"mlp\", \"config\": {\"dim\": 2, \"hidden\": 128, \"layers\": 4,"
                + " \"timeDim\": 64}, \"rowShape\": [2], \"schedule\": {\"kind\": \"linear\", \"T\": 100,"
                + " \"betaStart\": 0.001, \"betaEnd\": 0.2}, \"loss\": \"L2\"}");
        assertEquals(MlpDenoiser.Config.toy(2), s.mlpConfig());
        assertArrayEquals(new long[] {2}, s.rowShape());
        assertEquals(100, s.schedule().steps());
        assertEquals(0.2, s.schedule().betaEnd());
    }

    @Test
    void badValues() {
        NoiseSchedule sch = NoiseSchedule.linear(10, 1e-3, 0.2);
        assertEquals("rowShape", assertThrows(InvalidArgumentException.class,
                () -> new DdpmSpec(null, MlpDenoiser.Config.toy(2), new long[] {3}, sch, LossType.L2)).argument());
        assertThrows(UserException.class, () -> DdpmSpec.unet(UNetConfig.preset("mnist", 1), 1, 30, 30, sch, LossType.L2));
        assertThrows(UserException.class, () -> DdpmSpec.fromJson("{\"network\": \"unet\"}"));
    }
}
