package org.diffusion4j.train;

/** Nanoseconds of the phases of one step (PyTorch runs ops synchronously on the CPU). */
public record StepTimings(long data, long forward, long backward, long clip, long adam, long ema) {
    public long total() {
        return data + forward + backward + clip + adam + ema;
    }
}
