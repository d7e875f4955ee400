package org.diffusion4j.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import org.diffusion4j.UserException;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.NamedArrays;

/**
 * The space a latent DDPM learns in: a trained {@link Autoencoder} and the {@link LatentScale} of
 * its latents. {@link #encode} turns an image data set into a data set of latents in the image
 * convention ([0, 1] units, so that a DDPM learns them as it learns images); {@link #decode}
 * turns what such a DDPM samples back into images. It travels inside the DDPM's checkpoints and
 * model files: the autoencoder's weights as the section {@value #SECTION}, its configuration and
 * scale in the model description under the same key. Not thread-safe, as the autoencoder.
 */
public final class LatentSpace implements AutoCloseable {
    /** The checkpoint section and model-description key of a latent DDPM's autoencoder. */
    public static final String SECTION = "latent";

    private final Autoencoder autoencoder;
    private final LatentScale scale;

    public LatentSpace(Autoencoder autoencoder, LatentScale scale) {
        if (scale.channels() != autoencoder.config().latentChannels()) {
            throw new UserException("the latent scale has " + scale.channels() + " channels and the autoencoder's latents "
                    + autoencoder.config().latentChannels());
        }
        this.autoencoder = autoencoder;
        this.scale = scale;
    }

    /**
     * The latent space of {@code autoencoder} with the scale measured on {@code images} (the data
     * the DDPM will learn), at range {@code range} (1: unit variance).
     */
    public static LatentSpace measure(Autoencoder autoencoder, DataSet images, double range) {
        return measure(autoencoder, autoencoder.encodeAll(images), range);
    }

    /** As above, from the raw latents {@code z} that {@link Autoencoder#encodeAll} gave. */
    public static LatentSpace measure(Autoencoder autoencoder, float[] z, double range) {
        long[] ls = autoencoder.config().latentShape();
        return new LatentSpace(autoencoder, LatentScale.measure(z, (int) ls[0], (int) (ls[1] * ls[2]), range));
    }

    /**
     * The latent space stored with the DDPM of a run folder, checkpoint or model file, or null if
     * that DDPM learns its data directly.
     */
    public static LatentSpace load(java.nio.file.Path runOrFile, NDManager m) {
        java.nio.file.Path file = Checkpoint.fileOf(runOrFile);
        try (NDManager tmp = m.newSubManager()) {
            Checkpoint c = Checkpoint.read(file, tmp);
            return of(c, c.modelJson(), m, file.toString());
        }
    }

    /** The latent space stored in a checkpoint or model file, or null if it holds a model of images. */
    public static LatentSpace of(Checkpoint c, String modelJson, NDManager m, String source) {
        JsonObject model = JsonParser.parseString(modelJson).getAsJsonObject();
        if (!model.has(SECTION)) {
            return null;
        }
        JsonObject o = model.getAsJsonObject(SECTION);
        AutoencoderConfig config = AutoencoderConfig.fromJson(o.get("config").toString());
        Autoencoder ae = Autoencoder.create(config, m, 0);
        NamedArrays params = NamedArrays.parametersOf(ae.network());
        NamedArrays stored = c.section(SECTION);
        params.checkCompatible(stored, source + " (its autoencoder)");
        params.copyFrom(stored);
        return new LatentSpace(ae, LatentScale.fromJson(o.get("scale").toString()));
    }

    public Autoencoder autoencoder() {
        return autoencoder;
    }

    public LatentScale scale() {
        return scale;
    }

    /** The model description, JSON: the autoencoder's configuration and the scale. */
    public String describe() {
        JsonObject o = new JsonObject();
        o.add("config", JsonParser.parseString(autoencoder.config().toJson()));
        o.add("scale", JsonParser.parseString(scale.toJson()));
        return o.toString();
    }

    /** The autoencoder's weights, to store as the section {@value #SECTION}. */
    public NamedArrays weights() {
        return NamedArrays.parametersOf(autoencoder.network());
    }

    /** The latents of {@code images} (rows in [0, 1]) as a data set in [0, 1] units, with the images' labels. */
    public DataSet encode(DataSet images) {
        return scaled(autoencoder.encodeAll(images), images);
    }

    /** The data set of raw latents {@code z} of {@code images} (scaled in place), as {@link #encode} returns it. */
    public DataSet scaled(float[] z, DataSet images) {
        long[] ls = autoencoder.config().latentShape();
        scale.toUnit(z, (int) (ls[1] * ls[2]));
        return new DataSet(images.name() + " latents", z, images.size(), ls, images.hasLabels() ? images.labels() : null,
                images.numClasses());
    }

    /**
     * Images [n, C, H, W] in [-1, 1] (in {@code x}'s manager) of latents [n, Lc, h, w] as a DDPM
     * trained on {@link #encode}'d data samples them ([-1, 1] units).
     */
    public NDArray decode(NDArray x) {
        long[] ls = autoencoder.config().latentShape();
        long[] shape = x.getShape().getShape();
        if (shape.length != 4 || !Arrays.equals(Arrays.copyOfRange(shape, 1, 4), ls)) {
            throw new UserException("latents of shape " + x.getShape() + " do not fit this autoencoder's " + Arrays.toString(ls));
        }
        float[] z = x.toFloatArray();
        scale.fromModelUnits(z, (int) (ls[1] * ls[2]));
        float[] images = autoencoder.decodeAll(z, (int) shape[0]); // [0, 1]
        AutoencoderConfig c = autoencoder.config();
        return x.getManager().create(images, new ai.djl.ndarray.types.Shape(shape[0], c.channels(), c.height(), c.width()))
                .mul(2).sub(1);
    }

    @Override
    public void close() {
        autoencoder.close();
    }
}
