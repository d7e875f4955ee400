package org.diffusion4j;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Locale;

/**
 * Where a model's arrays live: the CPU, or one GPU of a CUDA build of PyTorch. A model's arrays
 * (weights, diffusion tables, the optimizer's moments, the EMA, every temporary of a training or
 * sampling step) live on the device of the manager the model was created or loaded with; {@link
 * #parse} reads the names {@code cpu}, {@code gpu} and {@code gpu:K}, {@link #require} checks that
 * this process can use the device.
 *
 * <p>The native library on the class path by default is PyTorch 2.7.1's CPU build, so a GPU is
 * refused in one line ({@link #NO_CUDA}) unless a CUDA build of the same version is present.
 */
public final class Devices {
    /** What to say when a GPU is asked for and PyTorch has no CUDA: how to get a CUDA build. */
    public static final String NO_CUDA = "this PyTorch has no CUDA (the CPU build of PyTorch 2.7.1 is loaded), so it cannot "
            + "use a GPU: build without the CPU library (mvn -Pgpu package) and run with DIFFUSION4J_OFFLINE=false "
            + "PYTORCH_FLAVOR=cu128 so that DJL fetches its CUDA native library for PyTorch 2.7.1 once, or set "
            + "PYTORCH_LIBRARY_PATH to the lib folder of a CUDA libtorch 2.7.1; docs/scaling.md";

    private Devices() {}

    /**
     * The device named {@code name}: {@code cpu}, {@code gpu} (the first GPU) or {@code gpu:K} (GPU
     * number K, from 0); {@code cuda} and {@code cuda:K} are read as {@code gpu}. Only the name is
     * checked here; {@link #require} checks that this process can use it.
     *
     * @throws InvalidArgumentException for any other name
     */
    public static Device parse(String name) {
        String s = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        String gpu = s.startsWith("gpu") ? s.substring(3) : s.startsWith("cuda") ? s.substring(4) : null;
        if (gpu != null) {
            if (gpu.isEmpty()) {
                return Device.gpu(0);
            }
            if (gpu.startsWith(":") && gpu.length() > 1 && gpu.substring(1).chars().allMatch(Character::isDigit)
                    && gpu.length() < 8) {
                return Device.gpu(Integer.parseInt(gpu.substring(1)));
            }
        }
        throw new InvalidArgumentException("device", name, "must be cpu, gpu or gpu:K (K: the number of the GPU, from 0)");
    }

    /** The name {@link #parse} reads back: {@code cpu} or {@code gpu:K}. */
    public static String name(Device d) {
        return d.isGpu() ? "gpu:" + d.getDeviceId() : "cpu";
    }

    /** Whether the PyTorch this process loaded is a CUDA build. */
    public static boolean cudaBuild() {
        return TorchRuntime.init().hasCapability(StandardCapabilities.CUDA);
    }

    /**
     * {@code d}, if this process can put arrays on it.
     *
     * @throws UserException in one line: a GPU without a CUDA build of PyTorch ({@link #NO_CUDA}),
     *     a GPU number this machine does not have, or a device that is neither CPU nor GPU
     */
    public static Device require(Device d) {
        Engine engine = TorchRuntime.init();
        if (Device.Type.CPU.equals(d.getDeviceType())) {
            return d;
        }
        if (!d.isGpu()) {
            throw new InvalidArgumentException("device", d, "must be the CPU or a GPU");
        }
        if (!cudaBuild()) {
            throw new UserException("device " + name(d) + ": " + NO_CUDA);
        }
        int count = engine.getGpuCount();
        if (d.getDeviceId() < 0 || d.getDeviceId() >= count) {
            throw new UserException("device " + name(d) + ": this machine has " + count + " GPU" + (count == 1 ? "" : "s")
                    + (count == 0 ? "; use the CPU" : " (gpu:0" + (count > 1 ? "..gpu:" + (count - 1) : "") + ")"));
        }
        return d;
    }

    /** The device of {@code array}'s data, in the form of {@link #name}. */
    public static String of(NDArray array) {
        return name(array.getDevice());
    }

    /**
     * Throws IllegalStateException naming the first array managed under {@code root} (its arrays and
     * those of its open sub-managers) whose data is not on {@code device}: the check of the tests
     * that no array of a step was made on another device.
     */
    public static void checkAllOn(NDManager root, Device device) {
        for (NDArray a : root.getManagedArrays()) {
            if (!a.isReleased() && !device.equals(a.getDevice())) {
                throw new IllegalStateException("array " + a.getShape() + " of " + a.getManager().getName() + " is on "
                        + name(a.getDevice()) + ", not " + name(device));
            }
        }
    }
}
