package org.diffusion4j.cli;

import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import picocli.CommandLine;

/** Every command's --threads: a whole number in the range the library accepts, refused while parsing. */
final class ThreadsConverter implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number");
        }
        try {
            return TorchRuntime.requireThreads(n);
        } catch (InvalidArgumentException e) {
            throw new CommandLine.TypeConversionException(e.value() + " " + e.problem());
        }
    }
}
