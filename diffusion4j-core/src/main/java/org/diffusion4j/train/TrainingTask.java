package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a model family brings to the one shared training loop: its network, its loss, the
 * description saved in config.json and checkpoints, and its progress pictures.
 */
public interface TrainingTask {
    /** A short tag ("ddpm", "vae", "classifier") checked when a checkpoint is loaded. */
    String kind();

    /** The initialised network whose parameters are trained. */
    Block model();

    /** The loss of one batch in training mode, a scalar (random numbers from PyTorch's generator). */
    NDArray loss(Batch batch);

    /**
     * Everything needed to rebuild the model (and its schedule) without the command line, as a
     * JSON object; saved in config.json and every checkpoint.
     */
    String describe();

    /**
     * Draws progress pictures into the run folder; called with the EMA weights in the model.
     * The default draws nothing.
     */
    default void snapshot(long step, Path runDir) throws IOException {}

    /**
     * Fixed arrays the model needs besides its trained weights (a latent DDPM's autoencoder),
     * by section name; written into every checkpoint and exported model file. The default: none.
     */
    default Map<String, NamedArrays> fixedSections() {
        return Map.of();
    }
}
