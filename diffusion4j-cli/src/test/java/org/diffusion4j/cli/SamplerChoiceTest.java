package org.diffusion4j.cli;

import org.diffusion4j.diffusion.SamplerSettings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.UserException;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.DpmSolverSampler;
import org.diffusion4j.diffusion.HeunSampler;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Timesteps;
import org.junit.jupiter.api.Test;

/** The options build the documented samplers with the documented network calls; old flags keep their meaning. */
class SamplerChoiceTest {
    private final NoiseSchedule schedule = NoiseSchedule.ddpm();

    private SamplerChoice.Built build(SamplerSettings.Kind k, Integer steps, Timesteps.Spacing spacing) {
        return SamplerChoice.build(k, schedule, steps, spacing, null, DdpmSampler.Variance.BETA_TILDE, true);
    }

    @Test
    void defaultsAndCalls() {
        assertEquals(1000, build(SamplerSettings.Kind.DDPM, null, null).sampler().networkCalls());
        assertEquals("DDPM, sigma^2 = beta-tilde", build(SamplerSettings.Kind.DDPM, null, null).description());
        assertEquals(50, build(SamplerSettings.Kind.DDIM, null, null).sampler().networkCalls());
        assertTrue(build(SamplerSettings.Kind.DDIM, null, null).sampler() instanceof DdimSampler);
        SamplerChoice.Built dpm = build(SamplerSettings.Kind.DPMPP_2M, null, null);
        assertTrue(dpm.sampler() instanceof DpmSolverSampler);
        assertEquals(20, dpm.sampler().networkCalls());
        assertArrayEquals(Timesteps.of(schedule, 20, Timesteps.Spacing.LOGSNR), ((DpmSolverSampler) dpm.sampler()).timesteps());
        assertTrue(build(SamplerSettings.Kind.DPMPP_2M, 10, null).description().contains("first-order step into t_1"));
        assertEquals(0.0, ((DpmSolverSampler) dpm.sampler()).eta());
        SamplerChoice.Built sde = build(SamplerSettings.Kind.DPMPP_2M_SDE, null, null);
        assertEquals(1.0, ((DpmSolverSampler) sde.sampler()).eta());
        assertEquals(20, sde.sampler().networkCalls());
        assertEquals("SDE-DPM-Solver++(2M), 20 steps (trailing)", sde.description());
        SamplerChoice.Built noisier = SamplerChoice.build(SamplerSettings.Kind.DPMPP_2M_SDE, schedule, 16, null, 1.5, DdpmSampler.Variance.BETA_TILDE, true);
        assertEquals(1.5, ((DpmSolverSampler) noisier.sampler()).eta());
        assertEquals("SDE-DPM-Solver++(2M), 16 steps (trailing), eta 1.5", noisier.description());
        SamplerChoice.Built heun = build(SamplerSettings.Kind.HEUN, null, null);
        assertTrue(heun.sampler() instanceof HeunSampler);
        assertEquals(19, heun.sampler().networkCalls());
        SamplerChoice.Built respaced = build(SamplerSettings.Kind.DDPM, 25, Timesteps.Spacing.TRAILING);
        assertEquals(25, respaced.sampler().networkCalls());
        assertArrayEquals(Timesteps.of(schedule, 25, Timesteps.Spacing.TRAILING), ((DdpmSampler) respaced.sampler()).timesteps());
    }

    @Test
    void badValuesAreOneLine() {
        UserException e = assertThrows(UserException.class, () -> build(SamplerSettings.Kind.DPMPP_2M, 0, null));
        assertEquals("--steps must be in 1..1000 (T), got 0", e.getMessage());
        assertThrows(UserException.class, () -> build(SamplerSettings.Kind.HEUN, 1001, null));
        assertThrows(UserException.class, () -> build(SamplerSettings.Kind.DDIM, 20, Timesteps.Spacing.LOGSNR));
        UserException eta = assertThrows(UserException.class,
                () -> SamplerChoice.build(SamplerSettings.Kind.DPMPP_2M, schedule, null, null, 1.0, DdpmSampler.Variance.BETA_TILDE, true));
        assertTrue(eta.getMessage().startsWith("--eta applies to ddim and dpm++2m-sde only"), eta.getMessage());
        assertThrows(UserException.class,
                () -> SamplerChoice.build(SamplerSettings.Kind.DPMPP_2M_SDE, schedule, null, null, -1.0, DdpmSampler.Variance.BETA_TILDE, true));
    }
}
