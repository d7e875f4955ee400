/**
 * The networks of the DDPM family: the paper's U-Net ({@link org.diffusion4j.ddpm.net.UNet},
 * configured by {@link org.diffusion4j.ddpm.net.UNetConfig}, docs/unet.md) and an MLP for vectors
 * ({@link org.diffusion4j.ddpm.net.MlpDenoiser}). <b>Public API</b> for the configurations; the
 * blocks are DJL blocks, not thread-safe while they are trained.
 */
package org.diffusion4j.ddpm.net;
