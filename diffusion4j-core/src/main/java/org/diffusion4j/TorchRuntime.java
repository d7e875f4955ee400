package org.diffusion4j;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One place that prepares DJL before its PyTorch engine first loads, and the few global settings
 * of that engine (threads, seed). Every entry point (the command line, the tests, a library user)
 * goes through {@link #init()}; the library's other classes call it before they touch an array.
 *
 * <h2>System properties</h2>
 * DJL reads these properties once, when its engine loads, so they must be set before the first
 * call into DJL; {@link #init()} sets each one only if it is not set already (a value given with
 * {@code -D} or set by the application before the first call wins):
 * <ul>
 *   <li>{@code ai.djl.offline} = {@code true}: DJL's native-library loader takes PyTorch from the
 *       native jar on the class path and never downloads one. The environment variable
 *       {@code DIFFUSION4J_OFFLINE=false} makes it {@code false}, so that DJL may fetch another
 *       build once (a CUDA one, chosen with {@code PYTORCH_FLAVOR}).</li>
 *   <li>{@code ai.djl.default_engine} = {@code PyTorch}: DJL picks its default engine once, when
 *       its {@code Engine} class loads; this makes DJL calls that use the default engine use
 *       PyTorch even when other engines are on the class path.</li>
 *   <li>{@code ai.djl.pytorch.graph_optimizer} = {@code false}: read when the PyTorch engine is
 *       created; the graph optimizer concerns TorchScript models only, which this library never
 *       loads (with it on, DJL also logs a warning about inference latency).</li>
 * </ul>
 * Besides these, the classes of {@code org.diffusion4j.io} set {@code java.awt.headless} to
 * {@code true} when they load, unless it is set already, so that pictures can be drawn on a
 * machine without a display; AWT reads it once, at its first use.
 *
 * <h2>The NNPACK warning</h2>
 * On some CPUs (an AMD EPYC with AVX-512 was one; an Intel Xeon with AVX2 was not) PyTorch
 * cannot start NNPACK, one of its convolution back ends, and logs
 * {@code [W... NNPACK.cpp:...] Could not initialize NNPACK! Reason: Unsupported hardware.} to
 * the process's standard error for the convolutions that do not compute gradients (sampling,
 * evaluation): thousands of lines for one sampling run. It is harmless: PyTorch computes those
 * convolutions with its other kernels, and the numbers are the same. The library cannot turn it
 * off: DJL 0.35 offers no switch for NNPACK (PyTorch's own, {@code torch.backends.nnpack}, is
 * Python only), and on that CPU setting {@code TORCH_CPP_LOG_LEVEL} did not silence it in the
 * libtorch DJL loads. The warning is written by native code straight to file descriptor 2,
 * past {@code System.err}, so only the process's parent can drop it: the {@code diffusion4j}
 * launcher pipes standard error through a filter that removes these lines (and DJL's single
 * "AutoNonVariableTypeMode is deprecated" warning), which {@code DIFFUSION4J_RAW_STDERR=1}
 * turns off; the CI script filters the test log the same way. A Java application that embeds the
 * library on such a CPU sees the lines unless it filters its own standard error likewise.
 */
public final class TorchRuntime {
    private static volatile boolean initialised;
    /** The count last given to {@link #setThreads} (0: never set; each thread keeps PyTorch's default). */
    private static volatile int threadsSet;

    private TorchRuntime() {}

    /** Loads the PyTorch engine, offline unless told otherwise (see above); safe to call many times. */
    public static synchronized Engine init() {
        if (!initialised) {
            boolean online = "false".equalsIgnoreCase(System.getenv("DIFFUSION4J_OFFLINE"));
            setIfAbsent("ai.djl.offline", online ? "false" : "true");
            setIfAbsent("ai.djl.default_engine", "PyTorch");
            setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
            try {
                Engine.getEngine("PyTorch");
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                throw engineMissing(e);
            }
            initialised = true;
        }
        return Engine.getEngine("PyTorch");
    }

    /** The jar with PyTorch's native library that the CPU build needs on the class path. */
    static final String NATIVE_JAR = "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64";

    /** What to say when PyTorch does not load: one line that names the jar to add. */
    static UserException engineMissing(Throwable e) {
        String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("").strip();
        return new UserException("PyTorch's native library did not load (" + why + "); add the runtime dependency "
                + NATIVE_JAR + " (Maven: groupId ai.djl.pytorch, artifactId pytorch-native-cpu, version 2.7.1, classifier "
                + "linux-x86_64), or a CUDA build with DIFFUSION4J_OFFLINE=false", e);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * The most intra-op threads {@link #setThreads} accepts: 4 per core. More only cost, and a huge
     * count makes PyTorch spawn threads for minutes, deaf to signals.
     */
    public static int maxThreads() {
        return 4 * java.lang.Runtime.getRuntime().availableProcessors();
    }

    /** Refuses a thread count outside 0..{@link #maxThreads()} (0: all cores). */
    public static int requireThreads(int threads) {
        if (threads < 0 || threads > maxThreads()) {
            throw new InvalidArgumentException("threads", threads, "must be in 0.." + maxThreads()
                    + " (0: all cores; at most 4 per core of this machine)");
        }
        return threads;
    }

    /** Sets PyTorch's intra-op threads (0: leave as is, by default all cores); see {@link #requireThreads}. */
    public static void setThreads(int threads) {
        requireThreads(threads);
        init();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
            threadsSet = threads;
        }
    }

    /**
     * Prepares the calling thread for computing without gradients, until the returned scope is
     * closed (then the thread's former grad mode comes back). Sampling enters one, so that its
     * numbers do not depend on the thread that runs it:
     * <ul>
     *   <li>PyTorch's grad mode is a per-thread setting, and DJL turns it off only on the thread
     *       that loads the engine: in any other thread the network's calls record an autograd
     *       graph, and the convolutions take another path ({@code nn.Conv} pads output channels
     *       while autograd records), whose results differed in the last bits (one sample of a tiny
     *       test model, measured). The scope turns it off.</li>
     *   <li>PyTorch's intra-op thread count, which changes how some kernels split (and so round)
     *       their work, is per thread too: a thread takes the process's count when it first uses
     *       PyTorch, and keeps it when {@link #setThreads} changes it later on another thread. The
     *       scope gives the calling thread the count {@link #setThreads} set last (nothing, if it was
     *       never called).</li>
     * </ul>
     */
    public static InferenceScope inference() {
        init();
        boolean grad = JniUtils.isGradMode();
        if (grad) {
            JniUtils.setGradMode(false);
        }
        int want = threadsSet;
        if (want > 0 && JniUtils.getNumThreads() != want) {
            JniUtils.setNumThreads(want);
        }
        return new InferenceScope(grad);
    }

    /** The calling thread's grad mode, off until {@link #close()} (see {@link #inference()}). */
    public static final class InferenceScope implements AutoCloseable {
        private final boolean grad;

        private InferenceScope(boolean grad) {
            this.grad = grad;
        }

        /** Gives the thread its grad mode back. */
        @Override
        public void close() {
            if (grad) {
                JniUtils.setGradMode(true);
            }
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
        return init().newBaseManager(Device.cpu());
    }

    /**
     * A new root manager on {@code device}: what is made in it and its sub-managers lives there.
     *
     * @throws UserException if this process cannot use the device ({@link Devices#require})
     */
    public static NDManager newManager(Device device) {
        return init().newBaseManager(Devices.require(device));
    }
}
