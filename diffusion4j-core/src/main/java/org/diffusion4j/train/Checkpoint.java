package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.UserException;
import org.diffusion4j.io.SafeTensors;

/**
 * The one checkpoint and model file of every model family: a JSON header (what the model is, the
 * training configuration, counters) and named sections of arrays ("model", "ema", "adam.m",
 * "adam.v"; a weights-only file has just "ema"), stored as safetensors with a checksum per tensor
 * (docs/model-files.md, {@link ModelFile}). Written atomically; older files are still read.
 */
public final class Checkpoint {
    /** The sections only training needs: a weights-only file drops them. */
    private static final java.util.Set<String> TRAINING_STATE = java.util.Set.of("ema", "model", "adam.m", "adam.v");

    private final JsonObject header;
    private final Map<String, NamedArrays> sections;

    /**
     * @param headerJson the header, a JSON object with at least "kind" (and, for a training
     *     checkpoint, "model", "train", "step", "adamUpdates", "emaUpdates")
     * @param sections the named arrays, written in this order
     */
    public Checkpoint(String headerJson, Map<String, NamedArrays> sections) {
        this(JsonParser.parseString(headerJson).getAsJsonObject(), sections);
    }

    Checkpoint(JsonObject header, Map<String, NamedArrays> sections) {
        this.header = header;
        this.sections = new LinkedHashMap<>(sections);
    }

    /** The header as JSON (a copy: edit it and build a new checkpoint to change it). */
    public String header() {
        return header.toString();
    }

    JsonObject headerObject() {
        return header;
    }

    /** The step the checkpoint was written at. */
    public long step() {
        return header.get("step").getAsLong();
    }

    /** The model description of the header ({@link TrainingTask#describe()}) as JSON. */
    public String modelJson() {
        return header.get("model").toString();
    }

    /** The training configuration the checkpoint was written under. */
    public TrainConfig trainConfig() {
        return TrainConfig.fromJson(header.get("train").toString());
    }

    /** Where the run came from if it was branched from another's state (JSON), or null. */
    public String originJson() {
        return header.has("initFrom") ? header.get("initFrom").toString() : null;
    }

    /** True for a weights-only file (an exported model): no raw weights or Adam moments. */
    public boolean isWeightsOnly() {
        return !has("adam.m");
    }

    /** The section or a UserException saying it is missing. */
    public NamedArrays section(String name) {
        NamedArrays a = sections.get(name);
        if (a == null) {
            throw new UserException("the checkpoint has no '" + name + "' weights (it has "
                    + sections.keySet() + "); use a full training checkpoint");
        }
        return a;
    }

    public boolean has(String name) {
        return sections.containsKey(name);
    }

    public String kind() {
        return header.has("kind") ? header.get("kind").getAsString() : "?";
    }

    /** Throws a UserException unless this checkpoint holds a model of the given kind. */
    public Checkpoint requireKind(String expected, Path file) {
        if (!expected.equals(kind())) {
            throw new UserException(file + " holds a '" + kind() + "' model, not a '" + expected
                    + "' one; give a checkpoint or run folder made by the matching command");
        }
        return this;
    }

    /**
     * A weights-only copy for shipping and sampling: the header (with provenance added) and the
     * EMA weights (and any fixed sections, such as a latent DDPM's autoencoder), without the raw
     * weights and optimizer moments (a quarter of the size).
     */
    public Checkpoint weightsOnly(String provenanceJson) {
        JsonObject h = header.deepCopy();
        h.add("exported", JsonParser.parseString(provenanceJson));
        Map<String, NamedArrays> s = new LinkedHashMap<>();
        s.put("ema", section("ema"));
        sections.forEach((name, arrays) -> {
            if (!TRAINING_STATE.contains(name)) {
                s.put(name, arrays);
            }
        });
        return new Checkpoint(h, s);
    }

    /**
     * A model file of a block's current weights (stored as the "ema" section, the weights one
     * samples with): the header it was read or trained with (or none), with its kind, its model
     * description replaced by {@code modelJson}, and step 0 if it had none.
     */
    public static Checkpoint ofModel(String kind, String headerJson, String modelJson, ai.djl.nn.Block block) {
        JsonObject h = headerJson == null ? new JsonObject() : JsonParser.parseString(headerJson).getAsJsonObject();
        h.addProperty("format", 1);
        h.addProperty("kind", kind);
        if (!h.has("step")) {
            h.addProperty("step", 0);
        }
        h.add("model", JsonParser.parseString(modelJson));
        Map<String, NamedArrays> s = new LinkedHashMap<>();
        s.put("ema", NamedArrays.parametersOf(block));
        return new Checkpoint(h, s);
    }

    /** The checkpoint file of a run folder, or the given path if it is a file. */
    public static Path fileOf(Path runOrCheckpoint) {
        return Files.isDirectory(runOrCheckpoint) ? runOrCheckpoint.resolve(RunFolder.CHECKPOINT) : runOrCheckpoint;
    }

    /**
     * Copies the EMA weights (or, with {@code ema} false, the raw trained ones when present) into
     * the block's parameters, after checking their names and shapes.
     */
    public void loadWeightsInto(ai.djl.nn.Block block, boolean ema, String source) {
        NamedArrays weights = section(ema || !has("model") ? "ema" : "model");
        NamedArrays params = NamedArrays.parametersOf(block);
        params.checkCompatible(weights, source);
        params.copyFrom(weights);
    }

    public void write(Path file) {
        write(file, DataType.FLOAT32);
    }

    /**
     * Writes the checkpoint (atomically, as safetensors: docs/model-files.md) with its arrays
     * stored as {@code storage}: FLOAT32, or FLOAT16 for a shipped model at half the size;
     * {@link #read} widens float16 back to float32.
     */
    public void write(Path file, DataType storage) {
        ModelFile.write(file, header, sections, storage);
    }

    /**
     * FLOAT16 if every value of every section is a float16 number (so storing it as float16
     * loses nothing, as for the bundled models), else FLOAT32.
     */
    public DataType losslessStorage() {
        for (NamedArrays a : sections.values()) {
            for (ai.djl.ndarray.NDArray x : a.arrays()) {
                try (ai.djl.ndarray.NDArray h = x.toType(DataType.FLOAT16, true);
                        ai.djl.ndarray.NDArray back = h.toType(DataType.FLOAT32, true)) {
                    if (!java.util.Arrays.equals(back.toFloatArray(), x.toFloatArray())) {
                        return DataType.FLOAT32;
                    }
                }
            }
        }
        return DataType.FLOAT16;
    }

    /** The sections in order (package use: the writers). */
    Map<String, NamedArrays> sections() {
        return sections;
    }

    /**
     * Reads a checkpoint or model file, safetensors or the older DIFFUSION4J-CHECKPOINT-1 format
     * (told apart by their first bytes). Every tensor's checksum is verified (safetensors) and
     * non-finite values are refused (both); every problem is a one-line UserException naming the
     * file (and the tensor).
     */
    public static Checkpoint read(Path file, NDManager m) {
        if (!Files.exists(file)) {
            throw new UserException(file + ": no such checkpoint; give a run folder made by 'train' or its checkpoint.bin");
        }
        if (!LegacyCheckpoint.isLegacy(file)) {
            if (!Files.isDirectory(file) && !SafeTensors.looksLike(file)) {
                throw new UserException(file + ": not a diffusion4j checkpoint (neither safetensors nor the older "
                        + "DIFFUSION4J-CHECKPOINT-1 format); give a checkpoint.bin written by 'train', a run folder or a model file");
            }
            return ModelFile.read(file, m);
        }
        Checkpoint c = LegacyCheckpoint.read(file, m);
        for (Map.Entry<String, NamedArrays> s : c.sections.entrySet()) {
            int bad = s.getValue().firstNonFinite();
            if (bad >= 0) {
                throw ModelFile.nonFinite(file, ModelFile.tensorName(s.getKey(), s.getValue().name(bad)));
            }
        }
        return c;
    }
}
