/**
 * <b>Internal.</b> Generic layers and numerics on DJL (convolution, GroupNorm, dropout,
 * upsampling, reduced precision) that the networks of the families are built from;
 * {@link org.diffusion4j.nn.Precision} is the one type of it the public API names.
 */
package org.diffusion4j.nn;
