/**
 * How good a model is (docs/evaluation.md): the variational bound in bits/dim, FID and the
 * classifier scores of samples, energy distances of 2-D points. <b>Public API.</b>
 */
package org.diffusion4j.eval;
