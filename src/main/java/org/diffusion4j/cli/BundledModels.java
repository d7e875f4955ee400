package org.diffusion4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.UserException;

/** The trained models shipped in the repository's models/ folder. */
final class BundledModels {
    static final String DDPM_MNIST = "ddpm-mnist.bin";
    static final String CLASSIFIER_MNIST = "classifier-mnist.bin";
    static final String VAE_IWAE = "vae-iwae.bin";

    private BundledModels() {}

    static Path directory() {
        String home = System.getProperty("diffusion4j.home");
        return (home != null ? Path.of(home) : Path.of(".")).resolve("models");
    }

    static Path ddpmMnist() {
        Path p = directory().resolve(DDPM_MNIST);
        if (!Files.exists(p)) {
            throw new UserException("no --run given and no bundled model at " + p
                    + "; train one (./diffusion4j train --out runs/mnist) and pass --run runs/mnist");
        }
        return p;
    }

    /** The bundled MNIST digit classifier of 'eval samples'. */
    static Path classifierMnist() {
        Path p = directory().resolve(CLASSIFIER_MNIST);
        if (!Files.exists(p)) {
            throw new UserException("no --classifier given and no bundled classifier at " + p
                    + "; train one (./diffusion4j classifier train --out runs/classifier) and pass --classifier runs/classifier/classifier.bin");
        }
        return p;
    }

    /** The bundled MLP VAE (the IWAE paper's architecture), the default model of the 'vae' commands. */
    static Path vaeIwae() {
        Path p = directory().resolve(VAE_IWAE);
        if (!Files.exists(p)) {
            throw new UserException("no RUN given and no bundled VAE at " + p
                    + "; train one (./diffusion4j vae train --out runs/vae) and pass runs/vae");
        }
        return p;
    }
}
