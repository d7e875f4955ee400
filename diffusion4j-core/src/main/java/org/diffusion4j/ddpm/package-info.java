/**
 * The DDPM family. <b>Public API.</b> {@link org.diffusion4j.ddpm.Ddpm} (a model: load, sample,
 * save; several threads may sample it at once), {@link org.diffusion4j.ddpm.DdpmSpec} (what
 * defines one apart from its weights), {@link org.diffusion4j.ddpm.Sampling} (a request for
 * samples), {@link org.diffusion4j.ddpm.DdpmTraining} (training in memory). {@link
 * org.diffusion4j.ddpm.DdpmTask}, {@link org.diffusion4j.ddpm.SampleParts}, {@link
 * org.diffusion4j.ddpm.Pictures} and {@link org.diffusion4j.ddpm.Trajectory} serve the command
 * line's run folders and pictures.
 */
package org.diffusion4j.ddpm;
