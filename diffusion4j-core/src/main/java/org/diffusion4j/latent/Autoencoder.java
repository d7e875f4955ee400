package org.diffusion4j.latent;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.Runtime;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.train.Checkpoint;

/**
 * A trained (or new) image autoencoder: {@link #encode} maps images in [-1, 1] to latents,
 * {@link #decode} maps latents back to images, clamped to [-1, 1]. Not thread-safe: one model, one
 * thread at a time.
 */
public final class Autoencoder implements AutoCloseable {
    public static final String KIND = "autoencoder";
    /** Rows per network call in {@link #encodeAll} and {@link #decodeAll}: bounds memory for any N. */
    public static final int ROWS_PER_CALL = 500;

    private final AutoencoderConfig config;
    private final NDManager manager;
    private final AutoencoderNet net;
    private final ParameterStore ps;

    private Autoencoder(AutoencoderConfig config, NDManager parent, long seed) {
        this.config = config;
        this.manager = parent.newSubManager();
        Runtime.seed(seed);
        this.net = new AutoencoderNet(config);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, config.channels(), config.height(), config.width()));
        this.ps = new ParameterStore(manager, false);
    }

    /** A new model with weights initialised from {@code seed}. */
    public static Autoencoder create(AutoencoderConfig config, NDManager parent, long seed) {
        return new Autoencoder(config, parent, seed);
    }

    /** Loads the EMA weights of a run folder's checkpoint or of a checkpoint/model file. */
    public static Autoencoder load(Path runOrFile, NDManager parent) {
        Path file = Checkpoint.fileOf(runOrFile);
        try (NDManager tmp = parent.newSubManager()) {
            Checkpoint c = Checkpoint.read(file, tmp).requireKind(KIND, file);
            JsonObject model = JsonParser.parseString(c.modelJson()).getAsJsonObject();
            Autoencoder a = new Autoencoder(AutoencoderConfig.fromJson(model.getAsJsonObject("config").toString()), parent, 0);
            c.loadWeightsInto(a.net, true, file.toString());
            return a;
        }
    }

    public AutoencoderConfig config() {
        return config;
    }

    public AutoencoderNet network() {
        return net;
    }

    /** The reconstruction decoder(encoder(x)) in training mode (with gradients, for the loss). */
    NDArray reconstructForTraining(NDArray x) {
        return net.forward(ps, new NDList(x), true).head();
    }

    /** Latents [B, Lc, h, w] of images x [B, C, H, W] in [-1, 1]. */
    public NDArray encode(NDArray x) {
        requireShape(x, config.imageShape(), "images");
        return net.encoder().forward(ps, new NDList(x), false).head();
    }

    /** Images [B, C, H, W] in [-1, 1] of latents z [B, Lc, h, w]. */
    public NDArray decode(NDArray z) {
        requireShape(z, config.latentShape(), "latents");
        return net.decoder().forward(ps, new NDList(z), false).head().clip(-1f, 1f);
    }

    /** The latents of every row of {@code d} (images in [0, 1]), as floats in row order. */
    public float[] encodeAll(DataSet d) {
        requireShape(d.rowShape(), config.imageShape(), "images");
        int per = (int) Arrays.stream(config.latentShape()).reduce(1, (a, b) -> a * b);
        float[] out = new float[d.size() * per];
        for (int from = 0; from < d.size(); from += ROWS_PER_CALL) {
            int n = Math.min(ROWS_PER_CALL, d.size() - from);
            try (NDManager m = manager.newSubManager()) {
                NDArray x = d.subset(from, n).toNDArray(m).mul(2).sub(1);
                System.arraycopy(encode(x).toFloatArray(), 0, out, from * per, n * per);
            }
        }
        return out;
    }

    /** Images in [0, 1] of {@code n} latents given as floats in row order. */
    public float[] decodeAll(float[] z, int n) {
        long[] ls = config.latentShape();
        int per = (int) (ls[0] * ls[1] * ls[2]);
        if (z.length != (long) n * per) {
            throw new InvalidArgumentException("z", z.length + " values", "must hold n x " + Arrays.toString(ls) + " = " + (long) n * per);
        }
        int rowOut = config.channels() * config.height() * config.width();
        float[] out = new float[n * rowOut];
        for (int from = 0; from < n; from += ROWS_PER_CALL) {
            int k = Math.min(ROWS_PER_CALL, n - from);
            try (NDManager m = manager.newSubManager()) {
                NDArray zz = m.create(Arrays.copyOfRange(z, from * per, (from + k) * per), new Shape(k, ls[0], ls[1], ls[2]));
                float[] x = decode(zz).add(1).div(2).toFloatArray();
                System.arraycopy(x, 0, out, from * rowOut, k * rowOut);
            }
        }
        return out;
    }

    private static void requireShape(NDArray x, long[] row, String what) {
        long[] s = x.getShape().getShape();
        requireShape(Arrays.copyOfRange(s, 1, s.length), row, what);
    }

    private static void requireShape(long[] rowShape, long[] row, String what) {
        if (!Arrays.equals(rowShape, row)) {
            throw new InvalidArgumentException(what, Arrays.toString(rowShape), "do not fit this autoencoder: it takes rows of "
                    + Arrays.toString(row));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
