/**
 * diffusers' DDPMPipeline folders to and from diffusion4j models (docs/diffusers.md). <b>Public
 * API</b>: {@link org.diffusion4j.ddpm.diffusers.DiffusersFolder}; the rest is internal.
 */
package org.diffusion4j.ddpm.diffusers;
