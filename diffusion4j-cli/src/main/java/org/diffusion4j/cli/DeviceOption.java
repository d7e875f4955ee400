package org.diffusion4j.cli;

import ai.djl.Device;
import org.diffusion4j.Devices;
import org.diffusion4j.InvalidArgumentException;
import picocli.CommandLine;

/**
 * The --device of train, sample, eval and serve: where the model's arrays live and its steps run.
 * The name is checked while parsing; whether this process can use the device (a CUDA build of
 * PyTorch, a GPU with that number) when the model is made or loaded, in one line.
 */
final class DeviceOption {
    @CommandLine.Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class, paramLabel = "DEVICE",
            description = "Where the model runs: cpu, gpu (the first GPU) or gpu:K (GPU number K, from 0); a GPU needs a CUDA "
                    + "build of PyTorch 2.7.1 (docs/scaling.md) (default: ${DEFAULT-VALUE}).")
    Device device = Device.cpu();

    /** The device, once checked usable (a one-line UserException if not). */
    Device require() {
        return Devices.require(device);
    }

    /** --device: cpu, gpu or gpu:K, refused while parsing otherwise. */
    static final class DeviceConverter implements CommandLine.ITypeConverter<Device> {
        @Override
        public Device convert(String value) {
            try {
                return Devices.parse(value);
            } catch (InvalidArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' " + e.problem());
            }
        }
    }
}
