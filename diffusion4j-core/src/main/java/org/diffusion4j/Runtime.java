package org.diffusion4j;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The former name of {@link TorchRuntime}, which it forwards to; it shadowed
 * {@code java.lang.Runtime} in every file that imported it.
 *
 * @deprecated use {@link TorchRuntime}
 */
@Deprecated
public final class Runtime {
    private Runtime() {}

    /** @see TorchRuntime#init() */
    public static Engine init() {
        return TorchRuntime.init();
    }

    /** @see TorchRuntime#maxThreads() */
    public static int maxThreads() {
        return TorchRuntime.maxThreads();
    }

    /** @see TorchRuntime#requireThreads(int) */
    public static int requireThreads(int threads) {
        return TorchRuntime.requireThreads(threads);
    }

    /** @see TorchRuntime#setThreads(int) */
    public static void setThreads(int threads) {
        TorchRuntime.setThreads(threads);
    }

    /** @see TorchRuntime#threads() */
    public static int threads() {
        return TorchRuntime.threads();
    }

    /** @see TorchRuntime#seed(long) */
    public static void seed(long seed) {
        TorchRuntime.seed(seed);
    }

    /** @see TorchRuntime#newManager() */
    public static NDManager newManager() {
        return TorchRuntime.newManager();
    }
}
