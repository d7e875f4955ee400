package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.UserException;
import org.junit.jupiter.api.Test;

/** Warm-up, constant, then the optional linear decay to 0: values worked out by hand. */
class LearningRateTest {
    private static TrainConfig config(long decayFrom) {
        return TrainConfig.builder().steps(1000).lr(1e-3).warmupSteps(100).lrDecayFrom(decayFrom).build();
    }

    @Test
    void warmUpConstantAndDecay() {
        TrainConfig c = config(600);
        assertEquals(1e-5, c.learningRate(0), 1e-15);
        assertEquals(1e-3, c.learningRate(99), 1e-15);
        assertEquals(1e-3, c.learningRate(599), 1e-15);
        assertEquals(1e-3, c.learningRate(600), 1e-15); // the decay starts from lr itself
        assertEquals(0.5e-3, c.learningRate(800), 1e-15); // half-way through the 400 decay steps
        assertEquals(1e-3 / 400, c.learningRate(999), 1e-15); // the last step: one step from 0
        // The mean rate over the decay is half of lr (plus half a step): (400 + 1) / 2 / 400 lr.
        double sum = 0;
        for (long s = 600; s < 1000; s++) {
            sum += c.learningRate(s);
        }
        assertEquals(1e-3 * 401 / 800, sum / 400, 1e-15);
        // Without a decay the rate stays at lr to the end.
        assertEquals(1e-3, config(-1).learningRate(999), 1e-15);
        assertTrue(!config(600).decayStartedBefore(600) && config(600).decayStartedBefore(601));
    }

    /** A run branched at step 500 (--init-from) with --warmup 100 warms up over steps 500-599, not 0-99. */
    @Test
    void warmUpCountsFromTheStepTheRunStartsAt() {
        TrainConfig c = TrainConfig.builder().steps(1000).lr(1e-3).warmupSteps(100).warmupFrom(500).lrDecayFrom(800).build();
        assertEquals(1e-5, c.learningRate(500), 1e-15);
        assertEquals(0.5e-3, c.learningRate(549), 1e-15);
        assertEquals(1e-3, c.learningRate(599), 1e-15);
        assertEquals(1e-3, c.learningRate(600), 1e-15);
        assertEquals(0.5e-3, c.learningRate(900), 1e-15);
        assertEquals(600, c.warmupEnd());
        assertEquals(500, TrainConfig.fromJson(c.toJson()).warmupFrom());
        // The decay may not start inside the warm-up, wherever that lies.
        assertThrows(UserException.class, () -> c.toBuilder().lrDecayFrom(550).build());
        // Configs written before the field start their warm-up at step 0.
        String old = config(600).toJson().replace(",\"warmupFrom\":0", "");
        assertTrue(!old.contains("warmupFrom"), old);
        assertEquals(0, TrainConfig.fromJson(old).warmupFrom());
        assertEquals(1e-5, TrainConfig.fromJson(old).learningRate(0), 1e-15);
    }

    @Test
    void decayStartOutsideTheRunIsRefused() {
        // The library names the argument; the command line maps it to --decay-from.
        org.diffusion4j.InvalidArgumentException e = assertThrows(org.diffusion4j.InvalidArgumentException.class, () -> config(50));
        assertEquals("lrDecayFrom", e.argument());
        assertTrue(e.problem().startsWith("must lie between the warm-up's end (100) and steps (1000)"), e.getMessage());
        assertThrows(UserException.class, () -> config(1000));
    }

    @Test
    void configsWrittenBeforeTheOptionHaveNoDecay() {
        String old = config(-1).toJson().replace(",\"lrDecayFrom\":-1", "");
        assertTrue(!old.contains("lrDecayFrom"), old);
        assertEquals(-1, TrainConfig.fromJson(old).lrDecayFrom());
        assertEquals(600, TrainConfig.fromJson(config(600).toJson()).lrDecayFrom());
    }
}
