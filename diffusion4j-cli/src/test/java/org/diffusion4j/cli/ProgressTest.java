package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The rate behind the ETA forgets a pause once the work runs at its normal pace again. */
class ProgressTest {
    @Test
    void recentRateRecoversAfterAPause() {
        try (Progress p = new Progress("x", 0, 1000, Progress.Mode.QUIET, 10)) {
            long t = System.nanoTime() + 1000_000_000_000L; // the first 10 units took a 1,000 s pause
            p.noteInterval(10, t);
            for (int i = 2; i <= 21; i++) { // then 10 units per second for 20 s
                t += 1_000_000_000L;
                p.noteInterval(10L * i, t);
            }
            // Exponential average: 10 (1 - 0.7^20) + 0.01 * 0.7^20; the rate since the start is ~0.2.
            assertEquals(10.0, p.recentRate(), 0.01);
        }
    }
}
