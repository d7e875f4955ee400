/**
 * The mathematics of Gaussian diffusion, apart from any network or image (docs/math.md,
 * docs/sampling.md). <b>Public API.</b> {@link org.diffusion4j.diffusion.NoiseSchedule} (beta_t
 * and everything derived from it), {@link org.diffusion4j.diffusion.GaussianDiffusion} (the
 * forward process and the losses of Algorithm 1), the samplers ({@link
 * org.diffusion4j.diffusion.Sampler} and its implementations, named with their options by {@link
 * org.diffusion4j.diffusion.SamplerSettings}), the noise they draw ({@link
 * org.diffusion4j.diffusion.Noise}: per sample, reproducible in any thread) and the {@link
 * org.diffusion4j.diffusion.Denoiser} interface, the only thing they know of a model.
 * Schedules, settings and samplers are immutable and may be shared between threads.
 */
package org.diffusion4j.diffusion;
