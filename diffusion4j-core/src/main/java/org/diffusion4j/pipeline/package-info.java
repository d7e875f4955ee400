/**
 * Pipelines: model families composed into one model. {@link org.diffusion4j.pipeline.LatentDdpmTask}
 * trains a DDPM ({@code ddpm}) on the latents of an autoencoder ({@code latent}), the two stored in
 * one checkpoint ({@link org.diffusion4j.latent.LatentSpace#load} reads the autoencoder back, and
 * its {@code decode} turns the DDPM's samples into images). The families stay independent of each other; only this layer knows both.
 */
package org.diffusion4j.pipeline;
