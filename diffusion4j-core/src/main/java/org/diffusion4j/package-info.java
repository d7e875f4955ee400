/**
 * diffusion4j: train, sample and evaluate diffusion models (DDPM) and variational auto-encoders
 * on DJL and PyTorch. <b>Public API.</b> This package holds what every other one uses: {@link
 * org.diffusion4j.TorchRuntime} (the engine's set-up, threads and global seed; formerly {@code Runtime}) and the exceptions
 * whose one-line messages a front end prints as they are ({@link org.diffusion4j.UserException},
 * {@link org.diffusion4j.InvalidArgumentException}).
 *
 * <p>Where to start: {@link org.diffusion4j.ddpm.Ddpm} (load, sample, save),
 * {@link org.diffusion4j.ddpm.DdpmTraining} (train), {@link org.diffusion4j.vae.Vae} and
 * {@link org.diffusion4j.vae.VaeTraining}; docs/library.md walks through them. Packages whose
 * description says <b>Internal</b> are the library's building blocks: public for its own
 * packages and for the command line, with no promise of stability.
 */
package org.diffusion4j;
