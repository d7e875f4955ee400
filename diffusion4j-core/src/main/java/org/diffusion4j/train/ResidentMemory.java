package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process (Linux /proc/self/status), to check that memory stays flat. */
public final class ResidentMemory {
    private ResidentMemory() {}

    /** Current resident set in MB, or -1 where /proc is not available. */
    public static double currentMb() {
        return read("VmRSS");
    }

    /** JVM heap in use in MB (part of the resident set, beside the native tensors). */
    public static double heapUsedMb() {
        java.lang.Runtime rt = java.lang.Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
    }

    /** JVM heap committed in MB: what the heap can hold in the resident set without growing. */
    public static double heapCommittedMb() {
        return java.lang.Runtime.getRuntime().totalMemory() / (1024.0 * 1024.0);
    }

    /** Peak resident set in MB, or -1. */
    public static double peakMb() {
        return read("VmHWM");
    }

    private static double read(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }
}
