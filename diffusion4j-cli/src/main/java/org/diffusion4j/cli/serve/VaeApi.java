package org.diffusion4j.cli.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.diffusion4j.data.DataSet;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.vae.Vae;

/**
 * The VAE view: samples from the prior, the reconstruction of a test digit, and a 2-D slice of the
 * latent space: the posterior means mu(x) of test digits in two latent dimensions (a scatter
 * coloured by label) and the decoder means over a grid of that plane (the manifold). With a 2-D
 * latent the plane is the whole space; otherwise it is the two most active dimensions (largest
 * variance of mu over the digits, as in Burda et al.'s count of active units) with the others
 * held at the mean of mu.
 */
final class VaeApi {
    /** Most samples per request. */
    static final int MAX_N = 64;
    /** Test digits encoded for the scatter. */
    static final int SCATTER_DIGITS = 1000;
    /** The plane's half-width in standard deviations of mu around its mean. */
    static final double BOX_SDS = 3;

    /** The latent plane of one model: its two dimensions, the mean of mu, the box and the points. */
    record Plane(int latent, int[] dims, float[] mean, double[] lo, double[] hi, float[] xy, int[] labels) {}

    private final ModelCatalog models;
    private final JobQueue queue;
    private final NDManager root;
    private final Map<String, Plane> planes = new ConcurrentHashMap<>();

    VaeApi(ModelCatalog models, JobQueue queue, NDManager root) {
        this.models = models;
        this.queue = queue;
        this.root = root;
    }

    private static DataSet digits(Vae vae) {
        DataSet test = Mnist.test();
        if (!Arrays.equals(vae.spec().rowShape(), test.rowShape())) {
            throw HttpError.badRequest("this VAE models " + Arrays.toString(vae.spec().rowShape()) + " data, not MNIST digits");
        }
        return test;
    }

    /** Class labels for a conditional model (the 'class' parameter), null for an unconditional one. */
    private static int[] classes(Request r, Vae vae, int n) {
        if (!vae.spec().isConditional()) {
            return null;
        }
        int[] c = new int[n];
        Arrays.fill(c, r.integer("class", 0, 0, vae.spec().numClasses() - 1));
        return c;
    }

    /**
     * Runs VAE work in the one generation queue: it may draw from PyTorch's global generator, and
     * even plain decoding holds the CPU (a pixel-by-pixel decoder for tens of seconds), so it
     * waits its turn, counts toward the queue's limit and can be cancelled.
     */
    private <T> T inQueue(String what, Function<Job, T> work) {
        return queue.call(what, work);
    }

    private static String grid(NDArray x, int cols, int scale) {
        return Png.dataUrl(ImageGrid.grid(x.toFloatArray(), x.getShape().getShape(), cols, 2, scale));
    }

    /** GET /api/vae/sample?model=ID&amp;n=N&amp;seed=S: decoder means of z ~ p(z). */
    void sample(Request r) throws IOException {
        Vae vae = models.vae(r.require("model"));
        int n = r.integer("n", 16, 1, MAX_N);
        long seed = (long) r.number("seed", 0);
        int[] classes = classes(r, vae, n);
        String url = inQueue("VAE samples", job -> {
            try (NDManager m = root.newSubManager()) {
                return grid(vae.sample(classes, n, seed, m), (int) Math.ceil(Math.sqrt(n)), 2);
            }
        });
        JsonObject o = new JsonObject();
        o.addProperty("image", url);
        r.json(o);
    }

    /** GET /api/vae/reconstruct?model=ID&amp;index=I: the test digit and decoder(mu(x)). */
    void reconstruct(Request r) throws IOException {
        Vae vae = models.vae(r.require("model"));
        DataSet test = digits(vae);
        int index = r.integer("index", 0, 0, test.size() - 1);
        DataSet one = test.subset(index, 1);
        JsonObject o = new JsonObject();
        String recon = inQueue("a VAE reconstruction", job -> {
            try (NDManager m = root.newSubManager()) {
                NDArray x = m.create(one.data(), new Shape(one.shape()));
                NDArray y = vae.reconstruct(one, m);
                o.addProperty("x", grid(x, 1, 6));
                return grid(y, 1, 6);
            }
        });
        o.addProperty("recon", recon);
        o.addProperty("label", test.label(index));
        r.json(o);
    }

    /** The model's latent plane, computed once (in the queue: it encodes 1,000 digits). */
    private Plane plane(String id, Vae vae) {
        Plane known = planes.get(id);
        if (known != null) {
            return known;
        }
        DataSet digits = digits(vae);
        Plane p = inQueue("the VAE's latent plane", job -> newPlane(vae, digits));
        Plane raced = planes.putIfAbsent(id, p);
        return raced == null ? p : raced;
    }

    private Plane newPlane(Vae vae, DataSet digits) {
        DataSet d = digits.subset(SCATTER_DIGITS);
        int l = vae.spec().latent();
        float[] mu;
        try (NDManager m = root.newSubManager()) {
            mu = vae.encodeMeans(d, m);
        }
        double[] mean = new double[l];
        double[] var = new double[l];
        for (int i = 0; i < d.size(); i++) {
            for (int j = 0; j < l; j++) {
                mean[j] += mu[i * l + j] / (double) d.size();
            }
        }
        for (int i = 0; i < d.size(); i++) {
            for (int j = 0; j < l; j++) {
                double e = mu[i * l + j] - mean[j];
                var[j] += e * e / d.size();
            }
        }
        int[] dims = l == 2 ? new int[] {0, 1} : largestTwo(var);
        float[] meanF = new float[l];
        for (int j = 0; j < l; j++) {
            meanF[j] = (float) mean[j];
        }
        double[] lo = new double[2];
        double[] hi = new double[2];
        float[] xy = new float[2 * d.size()];
        for (int a = 0; a < 2; a++) {
            double sd = Math.sqrt(var[dims[a]]);
            lo[a] = mean[dims[a]] - BOX_SDS * sd;
            hi[a] = mean[dims[a]] + BOX_SDS * sd;
            for (int i = 0; i < d.size(); i++) {
                xy[2 * i + a] = mu[i * l + dims[a]];
            }
        }
        return new Plane(l, dims, meanF, lo, hi, xy, d.labels());
    }

    /** The indices of the two largest values, largest first. */
    static int[] largestTwo(double[] v) {
        int a = 0;
        for (int i = 1; i < v.length; i++) {
            a = v[i] > v[a] ? i : a;
        }
        int b = a == 0 ? 1 : 0;
        for (int i = 0; i < v.length; i++) {
            b = i != a && v[i] > v[b] ? i : b;
        }
        return new int[] {a, b};
    }

    /** GET /api/vae/latent?model=ID: the plane, its box and the test digits' mu in it, with labels. */
    void latent(Request r) throws IOException {
        String id = r.require("model");
        Plane p = plane(id, models.vae(id));
        JsonObject o = new JsonObject();
        o.addProperty("latent", p.latent());
        o.add("dims", Json.numbers(p.dims()));
        o.add("lo", Json.numbers(p.lo()));
        o.add("hi", Json.numbers(p.hi()));
        o.add("points", Json.numbers(p.xy()));
        o.add("labels", Json.numbers(p.labels()));
        r.json(o);
    }

    /** GET /api/vae/manifold?model=ID&amp;side=S: decoder means over an S x S grid of the plane's box (top row: high z2). */
    void manifold(Request r) throws IOException {
        String id = r.require("model");
        Vae vae = models.vae(id);
        int side = r.integer("side", 12, 2, 20);
        Plane p = plane(id, vae);
        float[] z = new float[side * side * p.latent()];
        for (int row = 0; row < side; row++) {
            for (int col = 0; col < side; col++) {
                int i = row * side + col;
                System.arraycopy(p.mean(), 0, z, i * p.latent(), p.latent());
                z[i * p.latent() + p.dims()[0]] = (float) (p.lo()[0] + (p.hi()[0] - p.lo()[0]) * col / (side - 1));
                z[i * p.latent() + p.dims()[1]] = (float) (p.hi()[1] - (p.hi()[1] - p.lo()[1]) * row / (side - 1));
            }
        }
        int[] classes = classes(r, vae, side * side);
        // Decoded a row at a time, so that a cancelled manifold (a pixel-by-pixel decoder takes
        // seconds a row) stops within a row.
        String url = inQueue("the VAE manifold", job -> {
            float[] pixels = null;
            long[] shape = null;
            for (int row = 0; row < side; row++) {
                job.checkCancelled();
                float[] zRow = Arrays.copyOfRange(z, row * side * p.latent(), (row + 1) * side * p.latent());
                int[] c = classes == null ? null : Arrays.copyOfRange(classes, row * side, (row + 1) * side);
                try (NDManager m = root.newSubManager()) {
                    NDArray x = vae.decode(m.create(zRow, new Shape(side, p.latent())), c, m);
                    float[] v = x.toFloatArray();
                    if (pixels == null) {
                        shape = x.getShape().getShape();
                        shape[0] = (long) side * side;
                        pixels = new float[v.length * side];
                    }
                    System.arraycopy(v, 0, pixels, row * v.length, v.length);
                }
            }
            return Png.dataUrl(ImageGrid.grid(pixels, shape, side, 0, 1));
        });
        JsonObject o = new JsonObject();
        o.addProperty("image", url);
        o.addProperty("side", side);
        r.json(o);
    }

    /** GET /api/vae/decode?model=ID&amp;z1=A&amp;z2=B: the decoder mean at a point of the plane. */
    void decode(Request r) throws IOException {
        String id = r.require("model");
        Vae vae = models.vae(id);
        Plane p = plane(id, vae);
        float[] z = p.mean().clone();
        z[p.dims()[0]] = (float) r.number("z1", p.mean()[p.dims()[0]]);
        z[p.dims()[1]] = (float) r.number("z2", p.mean()[p.dims()[1]]);
        int[] classes = classes(r, vae, 1);
        String url = inQueue("a VAE decoding", job -> {
            try (NDManager m = root.newSubManager()) {
                return grid(vae.decode(m.create(z, new Shape(1, p.latent())), classes, m), 1, 6);
            }
        });
        JsonObject o = new JsonObject();
        o.addProperty("image", url);
        r.json(o);
    }

}
