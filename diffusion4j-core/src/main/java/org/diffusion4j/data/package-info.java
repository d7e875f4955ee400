/**
 * Data sets in memory ({@link org.diffusion4j.data.DataSet}: rows of floats, images with pixels in
 * [0, 1], optional labels) and their sources: MNIST, IDX files, image folders, .npy, CSV points
 * and 2-D toy sets; {@link org.diffusion4j.data.Batcher} cuts one into training batches that
 * depend on (seed, step) only. <b>Public API.</b> Data sets and batchers are immutable.
 */
package org.diffusion4j.data;
