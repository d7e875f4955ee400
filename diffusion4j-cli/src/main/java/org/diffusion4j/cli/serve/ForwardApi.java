package org.diffusion4j.cli.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.ImageFolder;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.io.ImageGrid;

/**
 * The forward-process view: x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps (docs/math.md,
 * eq. 4 of Ho et al.) for an MNIST test digit or an uploaded image, its signal-to-noise ratio
 * SNR(t) = alphaBar_t / (1 - alphaBar_t), and the schedule's alphaBar curve.
 */
final class ForwardApi {
    /** Uploads kept (the newest), each already at the model's image size. */
    static final int KEEP_UPLOADS = 16;
    /** Side the pictures are drawn at, about. */
    static final int DISPLAY_SIDE = 196;

    private static final Object DECODING = new Object();
    private final ModelCatalog models;
    private final JobQueue queue;
    private final NDManager root;
    private final Map<String, float[]> uploads = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> e) {
            return size() > KEEP_UPLOADS;
        }
    };
    private int nextUpload = 1;

    ForwardApi(ModelCatalog models, JobQueue queue, NDManager root) {
        this.models = models;
        this.queue = queue;
        this.root = root;
    }

    private DdpmSpec imageSpec(Request r) {
        DdpmSpec spec = models.ddpm(r.require("model")).spec();
        if (!spec.isImage()) {
            throw HttpError.badRequest("model '" + r.require("model") + "' makes 2-D points; the forward view shows images");
        }
        return spec;
    }

    /** GET /api/schedule?model=ID: alphaBar_t for t = 0..T (alphaBar_0 = 1). */
    void schedule(Request r) throws IOException {
        NoiseSchedule s = models.ddpm(r.require("model")).spec().schedule();
        double[] ab = new double[s.steps() + 1];
        ab[0] = 1;
        for (int t = 1; t <= s.steps(); t++) {
            ab[t] = s.alphaBar(t);
        }
        JsonObject o = new JsonObject();
        o.addProperty("T", s.steps());
        o.addProperty("schedule", s.toString());
        o.add("alphaBar", Json.numbers(ab));
        r.json(o);
    }

    /** POST /api/upload?model=ID (body: a PNG/JPEG/GIF/BMP): resized to the model's images; returns its source id. */
    void upload(Request r) throws IOException {
        DdpmSpec spec = imageSpec(r);
        byte[] body = r.body();
        if (body.length == 0) {
            throw HttpError.badRequest("the upload is empty; send the image file as the request body");
        }
        long[] row = spec.rowShape();
        // ImageFolder checks the declared size against its pixel budget before decoding; one upload
        // is decoded at a time, so uploads side by side cannot multiply that budget's memory.
        float[] x;
        synchronized (DECODING) {
            x = ImageFolder.load(body, "the upload", (int) row[1], (int) row[0]);
        }
        String id;
        synchronized (uploads) {
            id = "upload-" + nextUpload++;
            uploads.put(id, x);
        }
        JsonObject o = new JsonObject();
        o.addProperty("source", id);
        o.addProperty("x0", Png.dataUrl(picture(x, row)));
        r.json(o);
    }

    /** GET /api/forward?model=ID&amp;t=T&amp;seed=S and index=I (MNIST test digit) or source=upload-K. */
    void forward(Request r) throws IOException {
        DdpmSpec spec = imageSpec(r);
        NoiseSchedule s = spec.schedule();
        int t = r.integer("t", 0, 0, s.steps());
        long seed = (long) r.number("seed", 0);
        long[] row = spec.rowShape();
        float[] pixels;
        String label;
        String source = r.string("source", null);
        if (source != null) {
            synchronized (uploads) {
                pixels = uploads.get(source);
            }
            if (pixels == null) {
                throw HttpError.badRequest("no upload '" + source + "' (the server keeps the last " + KEEP_UPLOADS + "); upload it again");
            }
            label = source;
        } else {
            DataSet test = Mnist.test();
            if (!Arrays.equals(row, test.rowShape())) {
                throw HttpError.badRequest("this model draws " + Arrays.toString(row) + " images and MNIST digits are "
                        + Arrays.toString(test.rowShape()) + "; upload an image instead");
            }
            int index = r.integer("index", 0, 0, test.size() - 1);
            pixels = test.row(index);
            label = "MNIST test digit " + index + " (a " + test.label(index) + ")";
        }
        double alphaBar = t == 0 ? 1 : s.alphaBar(t);
        // The page's own noise, from java.util.Random: the same seed gives the same eps at every t.
        Random g = new Random(seed);
        float[] e = new float[pixels.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) g.nextGaussian();
        }
        String id = r.require("model");
        Ddpm ddpm = models.ddpm(id);
        boolean predict = t > 0 && Boolean.parseBoolean(r.string("predict", "false"));
        float[] xt;
        try (NDManager m = root.newSubManager()) {
            NDArray x0 = m.create(pixels, new Shape(row)).expandDims(0).mul(2).sub(1);
            NDArray xtArr = t == 0 ? x0 : ddpm.diffusion().qSample(x0, m.full(new Shape(1), t, DataType.INT32), m.create(e, x0.getShape()));
            xt = ImageGrid.fromMinusOneOne(xtArr.toFloatArray());
        }
        JsonObject o = new JsonObject();
        if (predict) {
            // The network runs in the one queue, as all generation work does.
            float[] clean = pixels;
            float[][] p = queue.call("the network's prediction at t = " + t, j -> predict(ddpm, clean, e, row, t));
            double mse = 0;
            for (int i = 0; i < e.length; i++) {
                mse += (e[i] - p[0][i]) * (double) (e[i] - p[0][i]);
            }
            o.addProperty("epsHat", Png.dataUrl(picture(noise(p[0]), row)));
            o.addProperty("x0Hat", Png.dataUrl(picture(ImageGrid.fromMinusOneOne(p[1]), row)));
            o.addProperty("epsMse", mse / e.length);
        }
        o.addProperty("t", t);
        o.addProperty("T", s.steps());
        o.addProperty("alphaBar", alphaBar);
        // SNR(t) = alphaBar_t / (1 - alphaBar_t): infinite for the clean image at t = 0.
        o.addProperty("snr", t == 0 ? Double.POSITIVE_INFINITY : alphaBar / (1 - alphaBar));
        o.addProperty("label", label);
        o.addProperty("x0", Png.dataUrl(picture(pixels, row)));
        o.addProperty("xt", Png.dataUrl(picture(xt, row)));
        o.addProperty("eps", Png.dataUrl(picture(noise(e), row)));
        r.json(o);
    }

    /**
     * The network at t on x_t (made again from x_0 and eps in this scope): its predicted eps and
     * the one-step x0Hat = (x_t - sqrt(1 - alphaBar_t) epsHat) / sqrt(alphaBar_t), clipped to [-1, 1].
     * A class-conditional model predicts with the null class.
     */
    private float[][] predict(Ddpm ddpm, float[] pixels, float[] e, long[] row, int t) {
        try (NDManager m = root.newSubManager()) {
            NDArray x0 = m.create(pixels, new Shape(row)).expandDims(0).mul(2).sub(1);
            NDArray tt = m.full(new Shape(1), t, DataType.INT32);
            NDArray xt = ddpm.diffusion().qSample(x0, tt, m.create(e, x0.getShape()));
            NDArray epsHat = ddpm.denoiser().predictEps(xt, tt, false);
            NDArray x0Hat = ddpm.diffusion().x0Hat(xt, tt, epsHat).clip(-1, 1);
            return new float[][] {epsHat.toFloatArray(), x0Hat.toFloatArray()};
        }
    }

    /** Noise as a picture: -3..3 (three standard deviations) to black..white. */
    static float[] noise(float[] e) {
        float[] v = new float[e.length];
        for (int i = 0; i < e.length; i++) {
            v[i] = Math.max(0, Math.min(1, (e[i] / 3 + 1) / 2));
        }
        return v;
    }

    private static java.awt.image.BufferedImage picture(float[] v, long[] row) {
        int scale = (int) Math.max(1, DISPLAY_SIDE / row[1]);
        return ImageGrid.grid(v, new long[] {1, row[0], row[1], row[2]}, 1, 0, scale);
    }
}
