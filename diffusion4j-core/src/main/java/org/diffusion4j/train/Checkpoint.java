package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.UserException;
import org.diffusion4j.io.AtomicFiles;

/**
 * The one checkpoint format of every model family: a magic line, a JSON header (what the model
 * is, the training configuration, counters), then named sections of arrays ("model", "ema",
 * "adam.m", "adam.v"; a weights-only file has just "ema"). Written atomically.
 */
public final class Checkpoint {
    private static final String MAGIC = "DIFFUSION4J-CHECKPOINT-1";

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
     * EMA weights, without the raw weights and optimizer moments (a quarter of the size).
     */
    public Checkpoint weightsOnly(String provenanceJson) {
        JsonObject h = header.deepCopy();
        h.add("exported", JsonParser.parseString(provenanceJson));
        Map<String, NamedArrays> s = new LinkedHashMap<>();
        s.put("ema", section("ema"));
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
     * Writes the checkpoint with its arrays stored as {@code storage} (FLOAT32, or FLOAT16 for a
     * shipped model at half the size); {@link #read} widens float16 back to float32.
     */
    public void write(Path file, DataType storage) {
        AtomicFiles.write(file, os -> {
            DataOutputStream out = new DataOutputStream(os);
            out.write((MAGIC + "\n").getBytes(StandardCharsets.US_ASCII));
            byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
            out.writeInt(json.length);
            out.write(json);
            out.writeInt(sections.size());
            for (Map.Entry<String, NamedArrays> e : sections.entrySet()) {
                out.writeUTF(e.getKey());
                e.getValue().write(out, storage);
            }
            out.flush();
        });
    }

    /** Reads a checkpoint; every problem becomes a one-line UserException naming the file. */
    public static Checkpoint read(Path file, NDManager m) {
        try (InputStream is = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            DataInputStream in = new DataInputStream(is);
            byte[] magic = new byte[MAGIC.length() + 1];
            in.readFully(magic);
            if (!new String(magic, StandardCharsets.US_ASCII).equals(MAGIC + "\n")) {
                throw new UserException(file + ": not a diffusion4j checkpoint (bad magic); give a "
                        + "checkpoint.bin written by 'train' or a run folder");
            }
            int len = in.readInt();
            if (len < 2 || len > 10_000_000) {
                throw new IOException("corrupt header length " + len);
            }
            byte[] json = new byte[len];
            in.readFully(json);
            JsonObject header = JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonObject();
            int count = in.readInt();
            if (count < 0 || count > 64) {
                throw new IOException("corrupt section count " + count);
            }
            Map<String, NamedArrays> sections = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                sections.put(name, NamedArrays.read(in, m));
            }
            return new Checkpoint(header, sections);
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": no such checkpoint; give a run folder made by 'train' or its checkpoint.bin");
        } catch (EOFException e) {
            throw new UserException(file + ": the checkpoint is truncated; use an earlier copy or train again");
        } catch (IOException | RuntimeException e) {
            if (e instanceof UserException) {
                throw (UserException) e;
            }
            throw new UserException(file + ": cannot read the checkpoint (" + e.getMessage() + ")");
        }
    }
}
