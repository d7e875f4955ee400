/**
 * Latent diffusion's first half: an autoencoder that maps images to a smaller spatial latent and
 * back ({@link org.diffusion4j.latent.Autoencoder}), trained by the shared loop
 * ({@link org.diffusion4j.latent.AutoencoderTask}). A DDPM then learns the latents as it learns
 * any data (the diffusion code does not care what its rows are), and its samples are decoded.
 */
package org.diffusion4j.latent;
