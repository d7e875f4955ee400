package org.diffusion4j.ddpm.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.diffusion.GaussianDiffusion.LossType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.SafeTensors;

/**
 * A DDPM as a folder diffusers' {@code DDPMPipeline.from_pretrained} reads, and back
 * ({@code docs/diffusers.md}):
 *
 * <pre>
 * DIR/model_index.json                              DDPMPipeline: unet UNet2DModel, scheduler DDPMScheduler
 * DIR/unet/config.json                              UNet2DModel configuration ({@link DiffusersConfig})
 * DIR/unet/diffusion_pytorch_model.safetensors      the weights, float32, diffusers' keys ({@link DiffusersKeys})
 * DIR/scheduler/scheduler_config.json               DDPMScheduler configuration ({@link DiffusersScheduler})
 * </pre>
 *
 * Reading also takes a bare UNet2DModel folder (config.json and the weights, the scheduler
 * configuration beside them, in ../scheduler/, or else DDPMScheduler's defaults), and the attention
 * keys of diffusers before 0.14 (query, key, value, proj_attn).
 */
public final class DiffusersFolder {
    public static final String MODEL_INDEX = "model_index.json";
    public static final String CONFIG = "config.json";
    public static final String SCHEDULER_CONFIG = "scheduler_config.json";
    public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";
    /** Kept in config.json under a key diffusers ignores (it drops keys starting with '_'). */
    private static final String OURS = "_diffusion4j";
    private static final java.util.Set<SafeTensors.DType> FLOATS = java.util.EnumSet.of(SafeTensors.DType.F64,
            SafeTensors.DType.F32, SafeTensors.DType.F16, SafeTensors.DType.BF16);

    private DiffusersFolder() {}

    /**
     * Writes the model's current weights (load it with EMA weights to export those) as a
     * DDPMPipeline folder; each file is written atomically, model_index.json last.
     *
     * @throws UserException if the model is not a U-Net DDPM or its configuration cannot be
     *     expressed in diffusers (the field named)
     */
    public static void export(Ddpm ddpm, Path dir) {
        export(ddpm, dir, false, null);
    }

    /**
     * As {@link #export(Ddpm, Path)}, the weights stored as float16 if {@code float16} (each
     * rounded to 11 significant bits; diffusers widens them to its model's dtype when loading), with
     * a free-text note kept in config.json under {@value #OURS} (may be null).
     */
    public static void export(Ddpm ddpm, Path dir, boolean float16, String note) {
        DdpmSpec spec = ddpm.spec();
        if (!spec.isImage()) {
            throw new UserException("only U-Net (image) DDPMs can be exported to diffusers; this model is an MLP on "
                    + spec.rowShape()[0] + "-dimensional points");
        }
        // Only what the written configuration states may be exported: the scheduler says "epsilon"
        // and the U-Net has no class embedding (diffusers' num_class_embeds is not mapped yet).
        if (spec.objective().prediction() != org.diffusion4j.diffusion.Prediction.EPS) {
            throw new UserException("only models that predict eps can be exported to diffusers yet; this one predicts "
                    + spec.objective().prediction());
        }
        if (spec.numClasses() > 0) {
            throw new UserException("class-conditional models cannot be exported to diffusers yet (num_class_embeds is "
                    + "not mapped); export an unconditional model");
        }
        long[] row = spec.rowShape();
        int height = (int) row[1];
        int width = (int) row[2];
        JsonObject config = DiffusersConfig.toJsonObject(spec.unetConfig(), height, width);
        JsonObject ours = new JsonObject();
        ours.addProperty("loss", spec.loss().name());
        if (note != null) {
            ours.addProperty("note", note);
        }
        config.add(OURS, ours);
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        Map<String, NDArray> params = parameters(ddpm.network());
        for (DiffusersKeys.Key k : DiffusersKeys.of(spec.unetConfig(), height, width)) {
            NDArray p = params.remove(k.ours());
            if (p == null || !Arrays.equals(p.getShape().getShape(), k.ourShape())) {
                throw new IllegalStateException("the U-Net has no parameter " + k.ours() + Arrays.toString(k.ourShape())
                        + (p == null ? "" : " (it is " + p.getShape() + ")") + ": DiffusersKeys is out of date");
            }
            float[] v = (p.getDataType() == DataType.FLOAT32 ? p : p.toType(DataType.FLOAT32, false)).toFloatArray();
            SafeTensors.Tensor t = SafeTensors.Tensor.ofFloats(k.diffusersShape(), v);
            tensors.put(k.diffusers(), float16 ? t.as(SafeTensors.DType.F16, "weight " + k.ours()) : t);
        }
        if (!params.isEmpty()) {
            throw new IllegalStateException("U-Net parameters without a diffusers key: " + params.keySet());
        }
        try {
            Files.createDirectories(dir.resolve("unet"));
            Files.createDirectories(dir.resolve("scheduler"));
        } catch (IOException e) {
            throw new UserException(dir + ": cannot create the folder (" + e.getMessage() + ")");
        }
        SafeTensors.write(dir.resolve("unet").resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        writeText(dir.resolve("unet").resolve(CONFIG), DiffusersConfig.pretty(config));
        writeText(dir.resolve("scheduler").resolve(SCHEDULER_CONFIG), DiffusersScheduler.toJson(spec.schedule()));
        writeText(dir.resolve(MODEL_INDEX), DiffusersConfig.pretty(modelIndex()));
    }

    private static JsonObject modelIndex() {
        JsonObject o = new JsonObject();
        o.addProperty("_class_name", "DDPMPipeline");
        o.addProperty("_diffusers_version", DiffusersConfig.DIFFUSERS_VERSION);
        o.add("scheduler", pair("diffusers", "DDPMScheduler"));
        o.add("unet", pair("diffusers", "UNet2DModel"));
        return o;
    }

    private static JsonArray pair(String a, String b) {
        JsonArray p = new JsonArray();
        p.add(a);
        p.add(b);
        return p;
    }

    /**
     * True if {@code path} is a folder holding a diffusers pipeline (model_index.json) or a
     * UNet2DModel (a config.json whose _class_name says so; a run folder's config.json does not).
     */
    public static boolean isDiffusersFolder(Path path) {
        if (!Files.isDirectory(path)) {
            return false;
        }
        if (Files.isRegularFile(path.resolve(MODEL_INDEX))) {
            return true;
        }
        // a pipeline folder without its model_index.json counts too, so that load can point at its unet/
        return isUNetFolder(path) || isUNetFolder(path.resolve("unet"));
    }

    /** A folder whose config.json is a UNet2DModel's. */
    private static boolean isUNetFolder(Path path) {
        try {
            JsonElement c = JsonParser.parseString(Files.readString(path.resolve(CONFIG), StandardCharsets.UTF_8));
            return c.isJsonObject() && c.getAsJsonObject().has("_class_name")
                    && "UNet2DModel".equals(c.getAsJsonObject().get("_class_name").getAsString());
        } catch (IOException | RuntimeException e) {
            return false; // not a readable diffusers configuration: let the other readers say what is wrong
        }
    }

    /** The weights file of a diffusers folder (a pipeline's unet/ or a bare UNet2DModel's). */
    public static Path weightsFile(Path dir) {
        return (Files.isRegularFile(dir.resolve(MODEL_INDEX)) ? dir.resolve("unet") : dir).resolve(WEIGHTS);
    }

    /**
     * Reads a diffusers folder (a DDPMPipeline or a bare UNet2DModel) into a new model.
     *
     * @throws UserException one line naming the file and the key: a configuration value ours
     *     cannot compute, a key with no counterpart, a missing key, a shape that differs, a
     *     non-finite weight
     */
    public static Ddpm load(Path dir, NDManager parent) {
        Path unet = dir;
        Path scheduler = null;
        if (Files.isRegularFile(dir.resolve(MODEL_INDEX))) {
            checkModelIndex(dir.resolve(MODEL_INDEX));
            unet = dir.resolve("unet");
            scheduler = dir.resolve("scheduler").resolve(SCHEDULER_CONFIG);
        } else {
            if (!Files.exists(dir.resolve(CONFIG)) && isUNetFolder(dir.resolve("unet"))) {
                throw new UserException(dir + " has no " + MODEL_INDEX + " (a DDPMPipeline's) and no " + CONFIG
                        + " (a UNet2DModel's), but its unet folder is a UNet2DModel: give " + dir.resolve("unet")
                        + " (its scheduler is read from beside it)");
            }
            for (Path p : List.of(dir.resolve(SCHEDULER_CONFIG), dir.resolve("..").resolve("scheduler")
                    .resolve(SCHEDULER_CONFIG))) {
                if (scheduler == null && Files.isRegularFile(p)) {
                    scheduler = p.normalize();
                }
            }
        }
        Path configFile = unet.resolve(CONFIG);
        String configText = readText(configFile);
        DiffusersConfig.Imported c = DiffusersConfig.fromJson(configText, configFile.toString());
        NoiseSchedule schedule = scheduler == null ? NoiseSchedule.ddpm()
                : DiffusersScheduler.fromJson(readText(scheduler), scheduler.toString());
        DdpmSpec spec = DdpmSpec.unet(c.config(), c.config().inChannels(), c.height(), c.width(), schedule,
                loss(configText));
        Path weights = unet.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights) && Files.isRegularFile(unet.resolve("diffusion_pytorch_model.bin"))) {
            throw new UserException(unet.resolve("diffusion_pytorch_model.bin") + " is a PyTorch pickle, which"
                    + " diffusion4j does not read; save the model as safetensors in Python (docs/diffusers.md)");
        }
        Map<String, SafeTensors.Tensor> tensors = renameLegacyAttention(SafeTensors.read(weights).tensors());
        Ddpm ddpm = Ddpm.create(spec, parent, 0);
        try {
            copyInto(ddpm.network(), tensors, DiffusersKeys.of(c.config(), c.height(), c.width()), weights.toString());
        } catch (RuntimeException e) {
            ddpm.close();
            throw e;
        }
        return ddpm;
    }

    /**
     * Copies the tensors into the network's parameters, checking every key both ways and every
     * shape first.
     */
    static void copyInto(Block network, Map<String, SafeTensors.Tensor> tensors, List<DiffusersKeys.Key> keys,
            String source) {
        Map<String, SafeTensors.Tensor> left = new LinkedHashMap<>(tensors);
        for (DiffusersKeys.Key k : keys) {
            left.remove(k.diffusers());
        }
        for (DiffusersKeys.Key k : keys) {
            SafeTensors.Tensor t = tensors.get(k.diffusers());
            if (t == null) {
                throw new UserException(source + ": key " + k.diffusers() + " " + Arrays.toString(k.diffusersShape())
                        + " is missing" + (left.isEmpty() ? "" : " (the file has " + left.keySet().iterator().next()
                        + " instead)") + "; the weights do not belong to the UNet2DModel of config.json");
            }
            if (!Arrays.equals(t.shape(), k.diffusersShape())) {
                throw new UserException(source + ": key " + k.diffusers() + " has shape " + Arrays.toString(t.shape())
                        + " but config.json makes it " + Arrays.toString(k.diffusersShape()));
            }
            if (!FLOATS.contains(t.dtype())) {
                throw new UserException(source + ": key " + k.diffusers() + " holds " + t.dtype()
                        + " values, not floating-point weights");
            }
        }
        if (!left.isEmpty()) {
            String key = left.keySet().iterator().next();
            throw new UserException(source + ": key " + key + " " + Arrays.toString(left.get(key).shape())
                    + " has no counterpart in the UNet2DModel of config.json" + (left.size() > 1 ? " (and "
                    + (left.size() - 1) + " more)" : "") + "; diffusion4j reads only the keys listed in docs/diffusers.md");
        }
        Map<String, NDArray> params = parameters(network);
        for (DiffusersKeys.Key k : keys) {
            float[] v = tensors.get(k.diffusers()).toFloats();
            for (float x : v) {
                if (!Float.isFinite(x)) {
                    throw new UserException(source + ": key " + k.diffusers() + " holds " + x
                            + "; the weights are damaged");
                }
            }
            NDArray p = params.get(k.ours());
            try (NDManager sub = p.getManager().newSubManager()) {
                sub.create(v, new Shape(k.ourShape())).toType(p.getDataType(), false).copyTo(p);
            }
        }
    }

    /** diffusers before 0.14 named the attention projections query, key, value and proj_attn. */
    static Map<String, SafeTensors.Tensor> renameLegacyAttention(Map<String, SafeTensors.Tensor> tensors) {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, SafeTensors.Tensor> e : tensors.entrySet()) {
            String k = e.getKey();
            if (k.contains(".attentions.")) {
                k = k.replaceFirst("\\.query\\.(weight|bias)$", ".to_q.$1").replaceFirst("\\.key\\.(weight|bias)$", ".to_k.$1")
                        .replaceFirst("\\.value\\.(weight|bias)$", ".to_v.$1")
                        .replaceFirst("\\.proj_attn\\.(weight|bias)$", ".to_out.0.$1");
            }
            if (out.put(k, e.getValue()) != null) {
                throw new UserException("the weights hold " + k + " under both its old and its new name");
            }
        }
        return out;
    }

    /** The network's parameters by our path (DiffusersKeys.canonical). */
    private static Map<String, NDArray> parameters(Block network) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : network.getParameters()) {
            out.put(DiffusersKeys.canonical(p.getKey()), p.getValue().getArray());
        }
        return out;
    }

    private static void checkModelIndex(Path file) {
        JsonObject o;
        try {
            o = JsonParser.parseString(readText(file)).getAsJsonObject();
        } catch (UserException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UserException(file + " is not a JSON object; give a folder written by diffusers' save_pretrained");
        }
        JsonElement unet = o.get("unet");
        if (unet == null || !unet.isJsonArray() || unet.getAsJsonArray().size() != 2
                || !"UNet2DModel".equals(unet.getAsJsonArray().get(1).getAsString())) {
            throw new UserException(file + ": unet = " + unet + " cannot be imported: only a pipeline whose unet is a"
                    + " UNet2DModel (DDPMPipeline) is supported");
        }
    }

    /** The training loss kept by {@link #export} under {@value #OURS}; L2 (Algorithm 1) otherwise. */
    private static LossType loss(String configText) {
        JsonObject o = JsonParser.parseString(configText).getAsJsonObject();
        if (o.has(OURS) && o.get(OURS).isJsonObject() && o.getAsJsonObject(OURS).has("loss")) {
            try {
                return LossType.valueOf(o.getAsJsonObject(OURS).get("loss").getAsString());
            } catch (RuntimeException e) {
                return LossType.L2;
            }
        }
        return LossType.L2;
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": no such file; give a folder written by 'diffusion4j export --format"
                    + " diffusers' or diffusers' save_pretrained");
        } catch (IOException e) {
            throw new UserException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static void writeText(Path file, String text) {
        AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
    }
}
