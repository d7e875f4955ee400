/**
 * Files: PNG grids ({@link org.diffusion4j.io.ImageGrid}), GIFs, plots, safetensors, atomic
 * writes, output-path checks. <b>Public API</b>: {@link org.diffusion4j.io.ImageGrid}; the rest
 * is <b>internal</b> (the command line's and the model files').
 */
package org.diffusion4j.io;
