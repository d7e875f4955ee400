package org.diffusion4j.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import org.diffusion4j.nn.Conv;
import org.diffusion4j.vae.MaskedConv2d;
import org.diffusion4j.nn.Upsample;
import java.util.ArrayList;
import java.util.List;

/**
 * The networks of a VAE (math.md sections 5 and 6): an encoder with two heads, mu = f1(x) and
 * logVar = f2(x), and a decoder g(z) giving the parameters of p(x|z) (Bernoulli logits or a
 * Gaussian mean). The convolutional encoder is a stack of stride-2 3x3 convolutions, then dense
 * layers; its decoder mirrors it with dense layers, then nearest x2 upsampling + 3x3 convolution per
 * level (DJL's PyTorch engine has no transposed convolution). Data are handled flat, [B, D]; the convolutional architecture reshapes to
 * images internally. Extra parameters: the learned class means mu^Y [classes, L] of the
 * class-prior variant, and the per-dimension log variance of a Gaussian with learned variance.
 * A CVAE's one-hot y joins the encoder at its first dense layer and the decoder at its input.
 *
 * <p>With {@code pixelLayers > 0} the decoder is autoregressive (PixelVAE, Gulrajani et al. 2017):
 * the conv decoder ends in {@code pixelChannels} feature maps h(z) instead of logits, and
 * logit_i = PixelCNN(x_{&lt;i}, h(z))_i: a masked 7x7 type-A convolution of x added to h(z), then
 * residual masked 3x3 type-B layers and a 1x1 output. So log p(x|z) = sum_i log p(x_i | x_{&lt;i}, z)
 * is still one pass given x (training and bounds), while drawing x takes one pass per pixel.
 *
 * <p>As a Block, forward(x [B, D], y [B] (CVAE only)) returns the decoder output at z = mu.
 */
public final class VaeModel extends AbstractBlock {
    private static final byte VERSION = 1;

    /** q(z|x) = N(mu, diag(exp(logVar))), both [B, L]. */
    public record Posterior(NDArray mu, NDArray logVar) {}

    private final VaeSpec spec;
    private final List<Conv2d> encConvs = new ArrayList<>();
    private final List<Linear> encDense = new ArrayList<>();
    private final Linear muHead;
    private final Linear logVarHead;
    private final List<Linear> decDense = new ArrayList<>();
    private final List<Conv2d> decConvs = new ArrayList<>();
    private final MaskedConv2d pixelIn;
    private final List<MaskedConv2d> pixelHidden = new ArrayList<>();
    private final Conv2d pixelOut;
    private final Parameter classMeans;
    private final Parameter outputLogVar;

    public VaeModel(VaeSpec spec) {
        super(VERSION);
        this.spec = spec;
        boolean conv = spec.arch() == VaeSpec.Arch.CONV;
        if (conv) {
            for (int i = 0; i < spec.channels().length; i++) {
                encConvs.add(addChildBlock("encConv" + i, Conv.halving(spec.channels()[i])));
            }
        }
        for (int i = 0; i < spec.hidden().length; i++) {
            encDense.add(addChildBlock("encDense" + i, linear(spec.hidden()[i])));
        }
        muHead = addChildBlock("mu", linear(spec.latent()));
        logVarHead = addChildBlock("logVar", linear(spec.latent()));
        for (int i = spec.hidden().length - 1; i >= 0; i--) {
            decDense.add(addChildBlock("decDense" + i, linear(spec.hidden()[i])));
        }
        if (conv) {
            int c = spec.channels().length;
            long h0 = spec.rowShape()[1] >> c;
            long w0 = spec.rowShape()[2] >> c;
            decDense.add(addChildBlock("decProject", linear((int) (spec.channels()[c - 1] * h0 * w0))));
            for (int i = c - 1; i >= 0; i--) {
                int filters = i > 0 ? spec.channels()[i - 1] : spec.autoregressive() ? spec.pixelChannels() : (int) spec.rowShape()[0];
                decConvs.add(addChildBlock("decConv" + i, Conv.same(3, filters)));
            }
        } else {
            decDense.add(addChildBlock("decOut", linear(spec.dim())));
        }
        if (spec.autoregressive()) {
            pixelIn = addChildBlock("pixelIn", new MaskedConv2d(MaskedConv2d.Type.A, 7, spec.pixelChannels()));
            for (int i = 1; i < spec.pixelLayers(); i++) {
                pixelHidden.add(addChildBlock("pixel" + i, new MaskedConv2d(MaskedConv2d.Type.B, 3, spec.pixelChannels())));
            }
            pixelOut = addChildBlock("pixelOut", Conv.same(1, (int) spec.rowShape()[0]));
        } else {
            pixelIn = null;
            pixelOut = null;
        }
        classMeans = spec.conditional() == VaeSpec.Conditional.CLASS_PRIOR
                ? addParameter(Parameter.builder().setName("classMeans").setType(Parameter.Type.WEIGHT)
                        .optShape(new Shape(spec.numClasses(), spec.latent())).optInitializer(new NormalInitializer(1f)).build())
                : null;
        outputLogVar = spec.likelihood() == VaeSpec.Likelihood.GAUSSIAN && spec.learnedVariance()
                ? addParameter(Parameter.builder().setName("outputLogVar").setType(Parameter.Type.BIAS)
                        .optShape(new Shape(spec.dim())).optInitializer(Initializer.ZEROS).build())
                : null;
    }

    private static Linear linear(int units) {
        return Linear.builder().setUnits(units).build();
    }

    public VaeSpec spec() {
        return spec;
    }

    private NDArray act(NDArray x) {
        switch (spec.activation()) {
            case TANH: return x.tanh();
            case RELU: return Activation.relu(x);
            case SOFTPLUS: return x.getNDArrayInternal().softPlus();
            default: return x.mul(x.getNDArrayInternal().sigmoid());
        }
    }

    private static NDArray run(Block b, ParameterStore ps, NDArray x, boolean training) {
        return b.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    /** The one-hot y [B, classes] of a CVAE, in y's manager; null otherwise. */
    private NDArray condition(NDArray y) {
        if (spec.conditional() != VaeSpec.Conditional.CVAE) {
            return null;
        }
        if (y == null) {
            throw new IllegalArgumentException("a CVAE needs class labels");
        }
        return y.oneHot(spec.numClasses());
    }

    /** The encoder: x [B, D] (and y [B] for a CVAE) to q(z|x) = N(mu, exp(logVar)). */
    public Posterior encode(ParameterStore ps, NDArray x, NDArray y, boolean training) {
        NDArray h = x;
        if (!encConvs.isEmpty()) {
            h = h.reshape(new Shape(-1, spec.rowShape()[0], spec.rowShape()[1], spec.rowShape()[2]));
            for (Conv2d c : encConvs) {
                h = act(run(c, ps, h, training));
            }
            h = h.reshape(h.getShape().get(0), -1);
        }
        NDArray cond = condition(y);
        if (cond != null) {
            h = h.concat(cond, 1);
        }
        for (Linear l : encDense) {
            h = act(run(l, ps, h, training));
        }
        return new Posterior(run(muHead, ps, h, training), run(logVarHead, ps, h, training));
    }

    /**
     * The decoder g(z): z [N, L] (and y [N] for a CVAE) to [N, D], Bernoulli logits or the
     * Gaussian mean. An autoregressive decoder also reads the data x [N, D] whose likelihood is
     * wanted (logit i from x_{&lt;i} only); the factorised ones ignore x (it may be null).
     */
    public NDArray decode(ParameterStore ps, NDArray z, NDArray y, NDArray x, boolean training) {
        NDArray h = features(ps, z, y, training);
        if (!spec.autoregressive()) {
            return h;
        }
        if (x == null) {
            throw new IllegalArgumentException("an autoregressive decoder needs the data x (draw with sampleAutoregressive)");
        }
        return pixelLogits(ps, h, x, training);
    }

    /**
     * The conv/dense part of the decoder: z to [N, D] (the output of a factorised decoder), or for
     * an autoregressive one the feature maps h(z) [N, pixelChannels, H, W].
     */
    public NDArray features(ParameterStore ps, NDArray z, NDArray y, boolean training) {
        NDArray h = z;
        NDArray cond = condition(y);
        if (cond != null) {
            h = h.concat(cond, 1);
        }
        for (int i = 0; i < decDense.size(); i++) {
            h = run(decDense.get(i), ps, h, training);
            if (i < decDense.size() - 1 || !decConvs.isEmpty()) {
                h = act(h);
            }
        }
        if (!decConvs.isEmpty()) {
            int c = spec.channels().length;
            h = h.reshape(new Shape(-1, spec.channels()[c - 1], spec.rowShape()[1] >> c, spec.rowShape()[2] >> c));
            for (int i = 0; i < decConvs.size(); i++) {
                h = run(decConvs.get(i), ps, Upsample.nearest2x(h), training);
                if (i < decConvs.size() - 1 || spec.autoregressive()) {
                    h = act(h);
                }
            }
            if (!spec.autoregressive()) {
                h = h.reshape(h.getShape().get(0), -1);
            }
        }
        return h;
    }

    /** Autoregressive logits [N, D] of x [N, D] given the feature maps h(z): logit i sees x_{&lt;i} and h(z). */
    public NDArray pixelLogits(ParameterStore ps, NDArray features, NDArray x, boolean training) {
        long n = x.getShape().get(0);
        NDArray img = x.reshape(new Shape(n, spec.rowShape()[0], spec.rowShape()[1], spec.rowShape()[2]));
        return pixelNet(ps, features, img, training).reshape(n, -1);
    }

    /** The PixelCNN on images (or horizontal strips of them) [N, 1, h, W] with features [N, C, h, W]. */
    private NDArray pixelNet(ParameterStore ps, NDArray features, NDArray img, boolean training) {
        NDArray h = act(run(pixelIn, ps, img, training).add(features));
        for (MaskedConv2d l : pixelHidden) {
            h = h.add(act(run(l, ps, h, training)));
        }
        return run(pixelOut, ps, h, training);
    }

    /**
     * Rows above a pixel that its logit can see: 3 through the 7x7 type-A layer and 1 through
     * each 3x3 type-B layer. A strip of this many rows above row r gives row r's logits exactly.
     */
    private int pixelReach() {
        return 3 + pixelHidden.size();
    }

    /**
     * Draws x ~ p(x|z) pixel by pixel in raster order from the feature maps h(z) [N, C, H, W]
     * (one pass per pixel, over the strip of rows that pixel's logit sees; PyTorch's generator:
     * seed it first). Returns {draws, probabilities} [N, D] each: the binary image, and for
     * display each pixel's p(x_i = 1 | x_{&lt;i}, z).
     */
    public NDArray[] sampleAutoregressive(ParameterStore ps, NDArray features, NDManager out) {
        int n = (int) features.getShape().get(0);
        int height = (int) spec.rowShape()[1];
        int width = (int) spec.rowShape()[2];
        int d = spec.dim();
        float[] draws = new float[n * d];
        float[] probs = new float[n * d];
        for (int r = 0; r < height; r++) {
            int r0 = Math.max(0, r - pixelReach());
            int rows = r - r0 + 1;
            try (NDManager row = out.newSubManager()) {
                NDArray f = features.get(":, :, " + r0 + ":" + (r + 1) + ", :");
                f.attach(row);
                float[] strip = new float[n * rows * width];
                for (int c = 0; c < width; c++) {
                    for (int b = 0; b < n; b++) {
                        System.arraycopy(draws, b * d + r0 * width, strip, b * rows * width, rows * width);
                    }
                    try (NDManager s = row.newSubManager()) {
                        NDArray x = s.create(strip, new Shape(n, 1, rows, width));
                        // Only pixel (r, c) of this pass is used: it depends on the pixels drawn so far alone.
                        NDArray logit = pixelNet(ps, f, x, false).get(":, 0, " + (rows - 1) + ", " + c);
                        float[] p = logit.getNDArrayInternal().sigmoid().toFloatArray();
                        float[] u = s.randomUniform(0f, 1f, new Shape(n)).toFloatArray();
                        int i = r * width + c;
                        for (int b = 0; b < n; b++) {
                            probs[b * d + i] = p[b];
                            draws[b * d + i] = u[b] < p[b] ? 1f : 0f;
                        }
                    }
                }
            }
        }
        return new NDArray[] {out.create(draws, new Shape(n, d)), out.create(probs, new Shape(n, d))};
    }

    /**
     * The prior mean for labels y [B]: mu^Y (rows of the learned class means, as one-hot(y) x
     * means so the result lives in y's manager) for the class-prior variant; null (N(0, I)) otherwise.
     */
    public NDArray priorMean(ParameterStore ps, NDArray y) {
        if (classMeans == null) {
            return null;
        }
        if (y == null) {
            throw new IllegalArgumentException("the class-prior VAE needs class labels");
        }
        NDArray means = ps.getValue(classMeans, y.getDevice(), true);
        return y.oneHot(spec.numClasses()).matMul(means);
    }

    /** The learned class means [classes, L] (the parameter itself; do not use as a first operand). */
    public NDArray classMeans() {
        return classMeans == null ? null : classMeans.getArray();
    }

    /** log p(x|z) of data x [..., D] under the decoder output [..., D]: [...]. */
    public NDArray logLikelihood(ParameterStore ps, NDArray x, NDArray out) {
        if (spec.likelihood() == VaeSpec.Likelihood.BERNOULLI) {
            return Likelihoods.bernoulli(x, out);
        }
        if (outputLogVar == null) {
            return Likelihoods.gaussian(x, out, null, spec.variance());
        }
        NDArray lv = ps.getValue(outputLogVar, x.getDevice(), true);
        // Start from x's manager so the result does not live with the parameters.
        NDArray local = x.getManager().zeros(new Shape(spec.dim())).add(lv);
        return Likelihoods.gaussian(x, out, local, spec.variance());
    }

    /** Display values of a decoder output: sigmoid(logits) for Bernoulli, the mean for Gaussian. */
    public NDArray mean(NDArray out) {
        return spec.likelihood() == VaeSpec.Likelihood.BERNOULLI ? out.getNDArrayInternal().sigmoid() : out;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray y = inputs.size() > 1 ? inputs.get(1) : null;
        Posterior q = encode(ps, x.reshape(x.getShape().get(0), -1), y, training);
        return new NDList(decode(ps, q.mu(), y, x.reshape(x.getShape().get(0), -1), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), spec.dim())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long b = 1;
        Shape s;
        if (!encConvs.isEmpty()) {
            s = new Shape(b, spec.rowShape()[0], spec.rowShape()[1], spec.rowShape()[2]);
            for (Conv2d c : encConvs) {
                c.initialize(manager, dataType, s);
                s = c.getOutputShapes(new Shape[] {s})[0];
            }
            s = new Shape(b, s.size() / b);
        } else {
            s = new Shape(b, spec.dim());
        }
        s = new Shape(b, s.get(1) + spec.conditionSize());
        for (Linear l : encDense) {
            l.initialize(manager, dataType, s);
            s = l.getOutputShapes(new Shape[] {s})[0];
        }
        muHead.initialize(manager, dataType, s);
        logVarHead.initialize(manager, dataType, s);
        s = new Shape(b, spec.latent() + spec.conditionSize());
        for (Linear l : decDense) {
            l.initialize(manager, dataType, s);
            s = l.getOutputShapes(new Shape[] {s})[0];
        }
        if (!decConvs.isEmpty()) {
            int c = spec.channels().length;
            s = new Shape(b, spec.channels()[c - 1], spec.rowShape()[1] >> c, spec.rowShape()[2] >> c);
            for (Conv2d t : decConvs) {
                s = new Shape(s.get(0), s.get(1), 2 * s.get(2), 2 * s.get(3));
                t.initialize(manager, dataType, s);
                s = t.getOutputShapes(new Shape[] {s})[0];
            }
        }
        if (spec.autoregressive()) {
            s = new Shape(b, spec.rowShape()[0], spec.rowShape()[1], spec.rowShape()[2]);
            pixelIn.initialize(manager, dataType, s);
            s = pixelIn.getOutputShapes(new Shape[] {s})[0];
            for (MaskedConv2d l : pixelHidden) {
                l.initialize(manager, dataType, s);
            }
            pixelOut.initialize(manager, dataType, s);
        }
    }

    /** Builds and initialises the network of a spec (PyTorch's generator: seed first). */
    public static VaeModel create(VaeSpec spec, NDManager m) {
        VaeModel model = new VaeModel(spec);
        model.initialize(m, DataType.FLOAT32, new Shape(1, spec.dim()));
        return model;
    }
}
