package org.diffusion4j.vae;

import com.google.gson.Gson;
import java.util.Arrays;
import java.util.Locale;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.UserException;

/**
 * Everything that defines a VAE apart from its weights (math.md sections 5 and 6): the shape of
 * one data row, the encoder/decoder architecture (an MLP, or a small convolutional net for
 * images), the latent size, the likelihood p(x|z), the conditioning, and the loss weights
 * (beta and its linear warm-up). Immutable; stored as JSON in config.json and every checkpoint.
 * Make one with {@link #preset} or {@link #builder} and their setters (the canonical constructor
 * checks the same rules).
 *
 * @param rowShape the shape of one data row: [C, H, W] or [D]
 * @param arch the encoder/decoder architecture
 * @param hidden MLP: hidden sizes of the encoder (the decoder mirrors them). Conv: the dense layer(s) after the convolutions
 * @param channels conv only: channels of the stride-2 convolutions (the decoder mirrors them with transposed ones)
 * @param activation the hidden layers' activation
 * @param latent the latent size L
 * @param likelihood p(x|z)
 * @param learnedVariance Gaussian only: learn a per-dimension variance; else use {@code variance}
 * @param variance Gaussian only: the fixed variance sigma^2 of p(x|z) (when not learned)
 * @param conditional the conditioning on a class label
 * @param numClasses number of classes (labels 0..numClasses-1) of a conditional model; 0 otherwise
 * @param beta weight of the KL term (1: the ELBO)
 * @param klWarmup steps over which the KL weight rises linearly from 0 to beta (0: no warm-up)
 * @param pixelLayers conv + Bernoulli only: masked-convolution layers of an autoregressive (PixelCNN)
 *     decoder on top of the conv decoder, p(x|z) = prod_i p(x_i | x_{&lt;i}, z) in raster order (0:
 *     the factorised decoder, p(x|z) = prod_i p(x_i | z))
 * @param pixelChannels channels of the autoregressive decoder's layers (0 without one)
 */
public record VaeSpec(long[] rowShape, Arch arch, int[] hidden, int[] channels, Activation activation, int latent,
        Likelihood likelihood, boolean learnedVariance, double variance, Conditional conditional, int numClasses, double beta,
        long klWarmup, int pixelLayers, int pixelChannels) {
    /** Encoder/decoder architecture. */
    public enum Arch { MLP, CONV }

    /** p(x|z): Bernoulli logits (binary data) or a Gaussian mean (real-valued data). */
    public enum Likelihood { BERNOULLI, GAUSSIAN }

    /** Conditioning on a class label y. */
    public enum Conditional {
        /** Unconditional: prior N(0, I). */
        NONE,
        /** The notes' variant (A): prior N(mu^Y, I) with a learned mean per class; encoder and decoder ignore y. */
        CLASS_PRIOR,
        /** The standard CVAE (B, Sohn et al. 2015): q(z|x,y), p(x|z,y) with y one-hot; prior N(0, I). */
        CVAE;

        public static Conditional parse(String s) {
            String t = s == null ? "none" : s.strip().toLowerCase(Locale.ROOT);
            switch (t) {
                case "none": case "": return NONE;
                case "class-prior": case "class_prior": case "a": return CLASS_PRIOR;
                case "cvae": case "b": return CVAE;
                default: throw new InvalidArgumentException("conditional", s, "must be class-prior or cvae");
            }
        }

        public String label() {
            return this == CLASS_PRIOR ? "class-prior" : name().toLowerCase(Locale.ROOT);
        }
    }

    /** Hidden-layer activation. */
    public enum Activation { TANH, RELU, SILU, SOFTPLUS }

    /** Copies the arrays, puts 0 where a setting does not apply (classes, pixel channels), and checks every value. */
    public VaeSpec {
        rowShape = rowShape.clone();
        hidden = hidden.clone();
        channels = channels.clone();
        numClasses = conditional == Conditional.NONE ? 0 : numClasses;
        pixelChannels = pixelLayers > 0 ? pixelChannels : 0;
        validate(rowShape, arch, hidden, channels, latent, likelihood, variance, conditional, numClasses, beta, klWarmup,
                pixelLayers, pixelChannels);
    }

    private VaeSpec(Builder b) {
        this(b.rowShape, b.arch, b.hidden, b.channels, b.activation, b.latent, b.likelihood, b.learnedVariance, b.variance,
                b.conditional, b.numClasses, b.beta, b.klWarmup, b.pixelLayers, b.pixelChannels);
    }

    /** A copy of the row shape. */
    @Override
    public long[] rowShape() {
        return rowShape.clone();
    }

    /** A copy of the hidden sizes. */
    @Override
    public int[] hidden() {
        return hidden.clone();
    }

    /** A copy of the conv channels. */
    @Override
    public int[] channels() {
        return channels.clone();
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void validate(long[] rowShape, Arch arch, int[] hidden, int[] channels, int latent, Likelihood likelihood,
            double variance, Conditional conditional, int numClasses, double beta, long klWarmup, int pixelLayers,
            int pixelChannels) {
        require(rowShape.length >= 1 && Arrays.stream(rowShape).allMatch(d -> d >= 1), "rowShape",
                Arrays.toString(rowShape), "must have at least one dimension, each >= 1");
        require(latent >= 1 && latent <= 4096, "latent", latent, "must be in 1..4096");
        require(hidden.length >= 1 && Arrays.stream(hidden).allMatch(h -> h >= 1 && h <= 65536), "hidden", join(hidden),
                "must list at least one size, each in 1..65536");
        require(beta >= 0, "beta", beta, "must be >= 0");
        require(klWarmup >= 0, "klWarmup", klWarmup, "must be >= 0");
        require(variance > 0 && Double.isFinite(variance), "variance", variance, "must be > 0");
        if (arch == Arch.CONV) {
            require(rowShape.length == 3, "arch", "conv", "needs images [C,H,W], not rows of shape "
                    + Arrays.toString(rowShape) + "; use mlp for vectors");
            int f = 1 << channels.length;
            require(channels.length >= 1 && Arrays.stream(channels).allMatch(c -> c >= 1), "channels", join(channels),
                    "must list at least one channel count, each >= 1");
            require(rowShape[1] % f == 0 && rowShape[2] % f == 0, "channels", join(channels), "halve the image "
                    + channels.length + " times: height and width must be multiples of " + f + ", got "
                    + rowShape[1] + "x" + rowShape[2]);
        }
        if (pixelLayers != 0) {
            require(pixelLayers >= 1 && pixelLayers <= 64, "pixelLayers", pixelLayers, "must be in 0..64");
            require(pixelChannels >= 1 && pixelChannels <= 1024, "pixelChannels", pixelChannels, "must be in 1..1024");
            require(arch == Arch.CONV && likelihood == Likelihood.BERNOULLI && rowShape.length == 3 && rowShape[0] == 1,
                    "pixelLayers", pixelLayers, "(an autoregressive decoder) is for one-channel binary images: it needs"
                    + " the conv architecture and the Bernoulli likelihood");
        }
        if (conditional != Conditional.NONE) {
            require(numClasses >= 2, "numClasses", numClasses, "is too few: a conditional VAE needs labelled data"
                    + " with at least 2 classes");
        }
    }

    /** Throws an InvalidArgumentException naming the field (the builder's method of the same name sets it). */
    private static void require(boolean ok, String argument, Object value, String problem) {
        if (!ok) {
            throw new InvalidArgumentException(argument, value, problem);
        }
    }

    private static String join(int[] a) {
        return Arrays.stream(a).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    }

    /** Floats per data row. */
    public int dim() {
        long d = 1;
        for (long s : rowShape) {
            d *= s;
        }
        return (int) d;
    }

    /** The batch shape [n, row...]. */
    public ai.djl.ndarray.types.Shape batchShape(long n) {
        long[] d = new long[rowShape.length + 1];
        d[0] = n;
        System.arraycopy(rowShape, 0, d, 1, rowShape.length);
        return new ai.djl.ndarray.types.Shape(d);
    }

    public boolean isImage() {
        return rowShape.length == 3;
    }

    /** Whether the model takes a class label (class-prior or CVAE). */
    public boolean isConditional() {
        return conditional != Conditional.NONE;
    }

    /** Whether p(x|z) is autoregressive over the pixels (a PixelCNN decoder). */
    public boolean autoregressive() {
        return pixelLayers > 0;
    }

    /** Size of the conditioning input of the encoder and decoder: the one-hot y for a CVAE, else 0. */
    public int conditionSize() {
        return conditional == Conditional.CVAE ? numClasses : 0;
    }

    /** The KL weight at 0-based training step: beta * min(1, (step + 1) / klWarmup). */
    public double klWeight(long step) {
        return klWarmup > 0 && step < klWarmup ? beta * (step + 1) / klWarmup : beta;
    }

    public Builder toBuilder() {
        Builder b = new Builder(rowShape);
        b.arch = arch;
        b.hidden = hidden.clone();
        b.channels = channels.clone();
        b.activation = activation;
        b.latent = latent;
        b.likelihood = likelihood;
        b.learnedVariance = learnedVariance;
        b.variance = variance;
        b.conditional = conditional;
        b.numClasses = numClasses;
        b.beta = beta;
        b.klWarmup = klWarmup;
        b.pixelLayers = pixelLayers;
        b.pixelChannels = pixelChannels;
        return b;
    }

    public static Builder builder(long... rowShape) {
        return new Builder(rowShape);
    }

    /**
     * The named presets: iwae (784-200-200-50 tanh MLP, Burda et al. 2016), conv (small conv net),
     * conv-pixel (the conv net with a 3-layer PixelCNN decoder on top, as in PixelVAE, Gulrajani
     * et al. 2017), toy (2-D data).
     */
    public static Builder preset(String name, long... rowShape) {
        Builder b = new Builder(rowShape);
        switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
            case "iwae":
                return b.arch(Arch.MLP).hidden(200, 200).activation(Activation.TANH).latent(50);
            case "conv":
                return b.arch(Arch.CONV).channels(32, 64).hidden(256).activation(Activation.RELU).latent(32);
            case "conv-pixel":
                return b.arch(Arch.CONV).channels(32, 64).hidden(256).activation(Activation.RELU).latent(32)
                        .pixelLayers(3).pixelChannels(32);
            case "toy":
                return b.arch(Arch.MLP).hidden(128, 128).activation(Activation.TANH).latent(2);
            default:
                throw new InvalidArgumentException("preset", name, "is not a VAE preset; choose iwae, conv, conv-pixel or toy");
        }
    }

    /** Fluent settings; defaults: the iwae MLP, Bernoulli, unconditional, beta 1. */
    public static final class Builder {
        private final long[] rowShape;
        private Arch arch = Arch.MLP;
        private int[] hidden = {200, 200};
        private int[] channels = {32, 64};
        private Activation activation = Activation.TANH;
        private int latent = 50;
        private Likelihood likelihood = Likelihood.BERNOULLI;
        private boolean learnedVariance;
        private double variance = 1.0;
        private Conditional conditional = Conditional.NONE;
        private int numClasses;
        private double beta = 1.0;
        private long klWarmup;
        private int pixelLayers;
        private int pixelChannels = 32;

        private Builder(long[] rowShape) {
            this.rowShape = rowShape.clone();
        }

        public Builder arch(Arch v) { arch = v; return this; }
        public Builder hidden(int... v) { hidden = v.clone(); return this; }
        public Builder channels(int... v) { channels = v.clone(); return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder latent(int v) { latent = v; return this; }
        public Builder likelihood(Likelihood v) { likelihood = v; return this; }
        public Builder learnedVariance(boolean v) { learnedVariance = v; return this; }
        public Builder variance(double v) { variance = v; return this; }
        public Builder conditional(Conditional v, int classes) { conditional = v; numClasses = classes; return this; }
        public Builder beta(double v) { beta = v; return this; }
        public Builder klWarmup(long v) { klWarmup = v; return this; }
        public Builder pixelLayers(int v) { pixelLayers = v; return this; }
        public Builder pixelChannels(int v) { pixelChannels = v; return this; }

        public VaeSpec build() {
            return new VaeSpec(this);
        }
    }

    /** The specification as JSON text (stored in run folders and model files). */
    public String toJson() {
        return new Gson().toJson(this);
    }

    /** Parses {@link #toJson()} output (the builder's fields are the JSON's). */
    public static VaeSpec fromJson(String json) {
        try {
            // both pixel fields are 0 in older files
            return new Gson().fromJson(json, Builder.class).build();
        } catch (UserException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UserException("the model description is not a VAE one (" + org.diffusion4j.io.RecordJson.problem(e)
                    + "); give a run folder made by 'diffusion4j vae train'");
        }
    }

    /** Equal specifications: the same values, arrays compared by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof VaeSpec v && Arrays.equals(rowShape, v.rowShape) && arch == v.arch && Arrays.equals(hidden, v.hidden)
                && Arrays.equals(channels, v.channels) && activation == v.activation && latent == v.latent
                && likelihood == v.likelihood && learnedVariance == v.learnedVariance && variance == v.variance
                && conditional == v.conditional && numClasses == v.numClasses && beta == v.beta && klWarmup == v.klWarmup
                && pixelLayers == v.pixelLayers && pixelChannels == v.pixelChannels;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(Arrays.hashCode(rowShape), arch, Arrays.hashCode(hidden), Arrays.hashCode(channels), activation,
                latent, likelihood, learnedVariance, variance, conditional, numClasses, beta, klWarmup, pixelLayers, pixelChannels);
    }

    @Override
    public String toString() {
        String net = arch == Arch.MLP ? "mlp " + Arrays.toString(hidden)
                : "conv " + Arrays.toString(channels) + " dense " + Arrays.toString(hidden)
                        + (autoregressive() ? " + pixel decoder " + pixelLayers + "x" + pixelChannels : "");
        return String.format(Locale.ROOT, "vae %s %s, latent %d, %s%s%s, beta %s%s on %s", net,
                activation.name().toLowerCase(Locale.ROOT), latent, likelihood.name().toLowerCase(Locale.ROOT),
                likelihood == Likelihood.GAUSSIAN ? (learnedVariance ? " (learned variance)" : " (variance " + variance + ")") : "",
                isConditional() ? ", " + conditional.label() + " (" + numClasses + " classes)" : "",
                beta, klWarmup > 0 ? " (warm-up " + klWarmup + " steps)" : "", Arrays.toString(rowShape));
    }
}
