/**
 * The variational auto-encoder family (docs/vae.md). <b>Public API.</b> {@link
 * org.diffusion4j.vae.Vae} (a model: load, encode, decode, sample, evaluate, save), {@link
 * org.diffusion4j.vae.VaeSpec} (its description), {@link org.diffusion4j.vae.VaeTraining}
 * (training in memory). A Vae may be used by one thread at a time: its sampling and evaluation
 * seed PyTorch's global generator.
 */
package org.diffusion4j.vae;
