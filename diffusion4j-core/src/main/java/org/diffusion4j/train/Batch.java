package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;

/** One training batch: data [B, ...] and, when the data have them, labels [B] (int32) or null. */
public record Batch(NDArray x, NDArray labels) {}
