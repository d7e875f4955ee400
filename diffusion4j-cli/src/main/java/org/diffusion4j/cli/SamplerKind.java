package org.diffusion4j.cli;

import java.util.Locale;

/** The reverse process a command samples with: DDPM's Algorithm 2 (all T steps) or DDIM (fewer). */
enum SamplerKind {
    DDPM,
    DDIM;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
