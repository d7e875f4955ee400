package org.diffusion4j.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.InvalidArgumentException;
import org.junit.jupiter.api.Test;

class VaeSpecJsonTest {
    @Test
    void jsonRoundTrip() {
        VaeSpec s = VaeSpec.preset("conv-pixel", 1, 28, 28).latent(7).beta(0.5).klWarmup(100)
                .conditional(VaeSpec.Conditional.CVAE, 10).build();
        VaeSpec back = VaeSpec.fromJson(s.toJson());
        assertEquals(s.toJson(), back.toJson());
        assertEquals(s, back, "a record: equal by value, arrays by content");
        assertEquals(s.hashCode(), back.hashCode());
        assertEquals(7, back.latent());
        assertEquals(VaeSpec.Conditional.CVAE, back.conditional());
        assertEquals(10, back.numClasses());
        assertEquals(3, back.pixelLayers());
    }

    /** The "spec" in the header of models/vae-conv.safetensors: written before the PixelCNN decoder, so no pixel fields. */
    @Test
    void oldJsonStillParses() {
        VaeSpec s = VaeSpec.fromJson("{\"rowShape\": [1, 28, 28], \"arch\": \"CONV\", \"hidden\": [256], \"channels\": [32, 64],"
                + " \"activation\": \"RELU\", \"latent\": 32, \"likelihood\": \"BERNOULLI\", \"learnedVariance\": true,"
                + " \"variance\": 1.0, \"conditional\": \"NONE\", \"numClasses\": 0, \"beta\": 1.0, \"klWarmup\": 0}");
        assertArrayEquals(new long[] {1, 28, 28}, s.rowShape());
        assertEquals(VaeSpec.Arch.CONV, s.arch());
        assertArrayEquals(new int[] {256}, s.hidden());
        assertArrayEquals(new int[] {32, 64}, s.channels());
        assertEquals(VaeSpec.Activation.RELU, s.activation());
        assertEquals(32, s.latent());
        assertEquals(VaeSpec.Likelihood.BERNOULLI, s.likelihood());
        assertTrue(s.learnedVariance());
        assertEquals(1.0, s.variance());
        assertFalse(s.isConditional());
        assertEquals(1.0, s.beta());
        assertEquals(0, s.klWarmup());
        assertFalse(s.autoregressive());
        assertEquals(VaeSpec.preset("conv", 1, 28, 28).learnedVariance(true).build().toJson(), s.toJson());
    }

    @Test
    void badValuesNameTheField() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> VaeSpec.preset("conv", 1, 28, 28).channels(32, 0).build());
        assertEquals("channels", e.argument());
        assertEquals("32,0", e.value());
        assertEquals("latent", assertThrows(InvalidArgumentException.class,
                () -> VaeSpec.builder(4).latent(0).build()).argument());
        assertEquals("pixelLayers", assertThrows(InvalidArgumentException.class,
                () -> VaeSpec.builder(4).pixelLayers(2).build()).argument());
        assertEquals("preset", assertThrows(InvalidArgumentException.class, () -> VaeSpec.preset("huge", 4)).argument());
        assertEquals("conditional", assertThrows(InvalidArgumentException.class,
                () -> VaeSpec.Conditional.parse("c")).argument());
        assertFalse(e.getMessage().contains("--"), e.getMessage()); // values, not options
    }
}
