package org.diffusion4j.ddpm;

import ai.djl.Model;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import org.diffusion4j.InvalidArgumentException;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.io.ImageGrid;

/**
 * A diffusion4j DDPM behind DJL's {@code Predictor} API, in DJL Serving's convention of
 * {@link Input} and {@link Output}: the request's properties or named parts {@code n} (default
 * 16), {@code seed} (default 0), {@code class} and {@code guidance} (class-conditional models;
 * default the model's) ask for samples, and the output is their PNG grid (Content-Type
 * image/png), the grid {@link ImageGrid#save(java.nio.file.Path, NDArray, ImageGrid.Range)}
 * draws. {@link #model(Ddpm)} makes the ZooModel:
 * <pre>
 * try (ZooModel&lt;Input, Output&gt; zoo = DdpmTranslator.model(ddpm); Predictor&lt;Input, Output&gt; p = zoo.newPredictor()) {
 *     Input in = new Input();
 *     in.add("n", "16");
 *     byte[] png = p.predict(in).getData().getAsBytes();
 * }
 * </pre>
 * Images models only (a model of points has no picture).
 */
public final class DdpmTranslator implements NoBatchifyTranslator<Input, Output> {
    /** A ZooModel whose block runs the sampler of {@code ddpm} (which stays the caller's to close, after the ZooModel). */
    public static ZooModel<Input, Output> model(Ddpm ddpm) {
        if (!ddpm.spec().isImage()) {
            throw new InvalidArgumentException("ddpm", "of points", "has no pictures to serve; sample it with ddpm.sampling(n)");
        }
        TorchRuntime.init();
        Model model = Model.newInstance("diffusion4j-ddpm");
        model.setBlock(new SamplingBlock(ddpm));
        return new ZooModel<>(model, new DdpmTranslator());
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Input input) {
        NDManager m = ctx.getNDManager();
        long n = number(input, "n", 16);
        if (n < 1 || n > 1024) {
            throw new InvalidArgumentException("n", n, "must be in 1..1024 (samples of one request)");
        }
        long label = number(input, "class", -1);
        String w = value(input, "guidance");
        float guidance;
        try {
            guidance = w == null ? Float.NaN : Float.parseFloat(w.trim());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("guidance", "'" + w + "'", "is not a number");
        }
        return new NDList(m.create(n), m.create(number(input, "seed", 0)), m.create(label), m.create(guidance));
    }

    @Override
    public Output processOutput(TranslatorContext ctx, NDList list) {
        Output out = new Output();
        NDArray x = list.head();
        out.add(ImageGrid.pngBytes(ImageGrid.grid(x, ImageGrid.Range.MINUS_ONE_ONE, (int) Math.ceil(Math.sqrt(x.getShape().get(0))))));
        out.addProperty("Content-Type", "image/png");
        return out;
    }

    private static String value(Input input, String key) {
        String v = input.getProperty(key, null);
        if (v == null && input.get(key) != null) {
            v = input.getAsString(key);
        }
        return v;
    }

    private static long number(Input input, String key, long otherwise) {
        String v = value(input, key);
        try {
            return v == null ? otherwise : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(key, "'" + v + "'", "is not a whole number");
        }
    }
}
