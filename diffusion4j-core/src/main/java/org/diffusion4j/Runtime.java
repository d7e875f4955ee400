package org.diffusion4j;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One place that prepares DJL before its engine first loads: offline mode (the PyTorch native
 * library comes from the Maven jar, nothing is downloaded) and the intra-op thread count.
 * Every entry point (CLI, tests, library users) goes through {@link #init()}.
 */
public final class Runtime {
    private static volatile boolean initialised;

    private Runtime() {}

    /** Loads the PyTorch engine offline; safe to call many times. */
    public static synchronized Engine init() {
        if (!initialised) {
            // Offline unless a GPU user asks DJL to fetch a CUDA build once (see README, GPU).
            boolean online = "false".equalsIgnoreCase(System.getenv("DIFFUSION4J_OFFLINE"));
            System.setProperty("ai.djl.offline", online ? "false" : "true");
            System.setProperty("ai.djl.default_engine", "PyTorch");
            // The graph optimizer only concerns TorchScript models, which we never load.
            System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
            Engine.getEngine("PyTorch");
            initialised = true;
        }
        return Engine.getEngine("PyTorch");
    }

    /** Sets PyTorch's intra-op threads (default: all cores). */
    public static void setThreads(int threads) {
        init();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
    }

    public static int threads() {
        init();
        return JniUtils.getNumThreads();
    }

    /** Seeds PyTorch's global generator (the only random source used for tensors). */
    public static void seed(long seed) {
        init();
        JniUtils.setSeed(seed);
    }

    /** A new root manager on the CPU. */
    public static NDManager newManager() {
        return init().newBaseManager();
    }
}
