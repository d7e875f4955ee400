package org.diffusion4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.UserException;

/** The trained models shipped in the repository's models/ folder. */
final class BundledModels {
    static final String DDPM_MNIST = "ddpm-mnist.safetensors";
    /** The class-conditional DDPM (the default of 'sample --class K'). */
    static final String DDPM_MNIST_COND = "ddpm-mnist-cond.safetensors";
    static final String CLASSIFIER_MNIST = "classifier-mnist.safetensors";
    static final String VAE_IWAE = "vae-iwae.safetensors";
    /** The conv VAE with the Bernoulli decoder (given by path; not a default). */
    static final String VAE_CONV = "vae-conv.safetensors";
    /** The conv VAE with the PixelCNN decoder (given by path; not a default). */
    static final String VAE_CONV_PIXEL = "vae-conv-pixel.safetensors";

    private BundledModels() {}

    static Path directory() {
        String home = System.getProperty("diffusion4j.home");
        return (home != null ? Path.of(home) : Path.of(".")).resolve("models");
    }

    /** True for a file in the bundled models/ folder (whose models get the tuned sampling defaults). */
    static boolean isBundled(Path file) {
        try {
            Path dir = directory();
            return Files.isRegularFile(file) && Files.isDirectory(dir)
                    && file.toRealPath().getParent().equals(dir.toRealPath());
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The bundled MNIST DDPM, the default of 'sample' and 'eval nll'. */
    static Path ddpmMnist() {
        return require(DDPM_MNIST, "no --run given and no bundled model",
                "train one (./diffusion4j train --out runs/mnist) and pass --run runs/mnist");
    }

    /** The bundled class-conditional MNIST DDPM, the default of 'sample --class K'. */
    static Path ddpmMnistCond() {
        return require(DDPM_MNIST_COND, "no --run given and no bundled class-conditional model",
                "train one (./diffusion4j train --classes 10 --out runs/cond) and pass --run runs/cond");
    }

    /** The bundled MNIST digit classifier of 'eval samples' and 'vae classes'. */
    static Path classifierMnist() {
        return require(CLASSIFIER_MNIST, "no --classifier given and no bundled classifier",
                "train one (./diffusion4j classifier train --out runs/classifier) and pass --classifier runs/classifier/classifier.bin");
    }

    /** The bundled MLP VAE (the IWAE paper's architecture), the default model of the 'vae' commands. */
    static Path vaeIwae() {
        return require(VAE_IWAE, "no RUN given and no bundled VAE",
                "train one (./diffusion4j vae train --out runs/vae) and pass runs/vae");
    }

    private static Path require(String file, String what, String todo) {
        Path p = directory().resolve(file);
        if (!Files.exists(p)) {
            throw new UserException(what + " at " + p + "; " + todo);
        }
        return p;
    }
}
