package org.diffusion4j.cli;

import static org.diffusion4j.cli.CliErrorsTest.assertOneLineError;
import static org.diffusion4j.cli.CliErrorsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import org.diffusion4j.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/** The library names its arguments; the command line shows the options that set them. */
class LibraryArgumentErrorsTest {
    @Test
    void argumentsOfTheVaeAndOfPrecisionAreShownAsOptions() {
        assertEquals("--class 3 is outside the labels 0..9 of this model",
                OptionNames.describe(new InvalidArgumentException("classLabel", 3, "is outside the labels 0..9 of this model")));
        assertEquals("--k 0 must be at least 1", OptionNames.describe(new InvalidArgumentException("k", 0, "must be at least 1")));
        assertOneLineError(run("sample", "--precision", "bf16"), "--precision bf16 is not available");
    }

    @Test
    void anUnconditionalVaeRefusesAClass() {
        assumeTrue(Files.isRegularFile(BundledModels.directory().resolve(BundledModels.VAE_IWAE)), "bundled VAE present");
        assertOneLineError(run("vae", "sample", "--class", "3", "--n", "1", "--threads", "1"),
                "--class 3 needs a conditional model");
    }
}
