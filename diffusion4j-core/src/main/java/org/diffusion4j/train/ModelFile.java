package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import org.diffusion4j.UserException;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.io.SafeTensors.DType;
import org.diffusion4j.io.SafeTensors.Tensor;

/**
 * How a {@link Checkpoint} lies in a safetensors file (docs/model-files.md): the "ema" section's
 * arrays under their parameter names, every other section's under "SECTION/NAME"; in
 * {@code __metadata__} the format version, the kind, the header JSON, the section order and a
 * CRC-32 of every tensor's bytes and of the header, all verified on reading.
 */
final class ModelFile {
    static final String FORMAT = "diffusion4j.format";
    static final String VERSION = "2";
    static final String KIND = "diffusion4j.kind";
    static final String HEADER = "diffusion4j.header";
    static final String HEADER_CRC = "diffusion4j.header.crc32";
    static final String SECTIONS = "diffusion4j.sections";
    static final String CRC = "diffusion4j.crc32";
    /** The section stored under bare parameter names: the weights one samples with. */
    static final String PRIMARY = "ema";

    private ModelFile() {}

    static String tensorName(String section, String param) {
        return section.equals(PRIMARY) ? param : section + "/" + param;
    }

    static void write(Path file, JsonObject header, Map<String, NamedArrays> sections, DataType storage) {
        DType dtype = switch (storage) {
            case FLOAT32 -> DType.F32;
            case FLOAT16 -> DType.F16;
            default -> throw new IllegalArgumentException("storage must be float32 or float16, not " + storage);
        };
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        JsonObject crcs = new JsonObject();
        JsonArray order = new JsonArray();
        for (Map.Entry<String, NamedArrays> s : sections.entrySet()) {
            order.add(s.getKey());
            NamedArrays a = s.getValue();
            for (int i = 0; i < a.size(); i++) {
                String name = tensorName(s.getKey(), a.name(i));
                if (s.getKey().equals(PRIMARY) && sectionOf(name, sections.keySet()) != null) {
                    throw new IllegalStateException("parameter name " + name + " would read back as another section's");
                }
                NDArray x = a.get(i);
                Tensor t = Tensor.ofFloats(x.getShape().getShape(), x.toType(DataType.FLOAT32, false).toFloatArray()).as(dtype, "weight " + name);
                if (tensors.put(name, t) != null) {
                    throw new IllegalStateException("two tensors named " + name);
                }
                crcs.addProperty(name, crc32(t.data()));
            }
        }
        String headerJson = header.toString();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt"); // what transformers/diffusers loaders expect of a PyTorch-layout file
        meta.put(FORMAT, VERSION);
        meta.put(KIND, header.has("kind") ? header.get("kind").getAsString() : "?");
        meta.put(HEADER, headerJson);
        meta.put(HEADER_CRC, crc32(ByteBuffer.wrap(headerJson.getBytes(StandardCharsets.UTF_8))));
        meta.put(SECTIONS, order.toString());
        meta.put(CRC, crcs.toString());
        SafeTensors.write(file, tensors, meta);
    }

    /**
     * Reads a checkpoint written by {@link #write}: every tensor's checksum is verified and
     * non-finite values are refused, each failure one line naming the file and the tensor.
     */
    static Checkpoint read(Path file, NDManager m) {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, String> meta = c.metadata();
        if (!meta.containsKey(FORMAT)) {
            throw new UserException(file + ": a safetensors file without diffusion4j's metadata (not a diffusion4j model "
                    + "or checkpoint); give a model written by diffusion4j");
        }
        if (!VERSION.equals(meta.get(FORMAT))) {
            throw new UserException(file + ": diffusion4j model format " + meta.get(FORMAT) + ", but this version reads "
                    + VERSION + "; use the diffusion4j version that wrote it");
        }
        String headerJson = required(file, meta, HEADER);
        if (!crc32(ByteBuffer.wrap(headerJson.getBytes(StandardCharsets.UTF_8))).equals(meta.get(HEADER_CRC))) {
            throw damaged(file, "its header (metadata '" + HEADER + "') does not match its checksum");
        }
        JsonObject header;
        JsonObject crcs;
        List<String> order = new ArrayList<>();
        try {
            header = JsonParser.parseString(headerJson).getAsJsonObject();
            crcs = JsonParser.parseString(required(file, meta, CRC)).getAsJsonObject();
            for (JsonElement e : JsonParser.parseString(required(file, meta, SECTIONS)).getAsJsonArray()) {
                order.add(e.getAsString());
            }
        } catch (UserException e) {
            throw e;
        } catch (RuntimeException e) {
            throw damaged(file, "its diffusion4j metadata is not valid JSON");
        }
        // the kind is written twice, as the metadata other tools read and in the checksummed header: they must agree
        String kind = header.has("kind") && header.get("kind").isJsonPrimitive() ? header.get("kind").getAsString() : "?";
        if (meta.containsKey(KIND) && !meta.get(KIND).equals(kind)) {
            throw damaged(file, "its metadata '" + KIND + "' says '" + meta.get(KIND) + "' but its checksummed header says '"
                    + kind + "'");
        }
        Map<String, List<String>> names = new LinkedHashMap<>();
        Map<String, List<NDArray>> arrays = new LinkedHashMap<>();
        for (String s : order) {
            names.put(s, new ArrayList<>());
            arrays.put(s, new ArrayList<>());
        }
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            JsonElement expected = crcs.get(name);
            if (expected == null) {
                throw damaged(file, "tensor '" + name + "' has no checksum");
            }
            String actual = crc32(t.data());
            if (!actual.equals(expected.getAsString())) {
                throw damaged(file, "tensor '" + name + "' does not match its checksum (CRC-32 " + actual + ", recorded "
                        + expected.getAsString() + ")");
            }
            String section = sectionOf(name, order);
            if (section == null) {
                section = PRIMARY;
                if (!names.containsKey(PRIMARY)) {
                    throw damaged(file, "tensor '" + name + "' belongs to no section of " + order);
                }
            }
            names.get(section).add(section.equals(PRIMARY) ? name : name.substring(section.length() + 1));
            arrays.get(section).add(toArray(file, name, t, m));
        }
        if (crcs.size() != c.tensors().size()) {
            throw damaged(file, "it lists " + crcs.size() + " checksums for " + c.tensors().size() + " tensors");
        }
        Map<String, NamedArrays> sections = new LinkedHashMap<>();
        for (String s : order) {
            sections.put(s, new NamedArrays(names.get(s), arrays.get(s)));
        }
        return new Checkpoint(header, sections);
    }

    /** The non-primary section a tensor name is prefixed with, or null. */
    private static String sectionOf(String tensorName, Iterable<String> sections) {
        for (String s : sections) {
            if (!s.equals(PRIMARY) && tensorName.startsWith(s + "/")) {
                return s;
            }
        }
        return null;
    }

    private static NDArray toArray(Path file, String name, Tensor t, NDManager m) {
        Shape shape = new Shape(t.shape());
        if (t.dtype() == DType.F32) {
            FloatBuffer f = t.data().asFloatBuffer();
            for (int i = 0; i < f.limit(); i++) {
                requireFinite(file, name, f.get(i));
            }
            return m.create(f, shape);
        }
        float[] v;
        try {
            v = t.toFloats();
        } catch (UserException e) {
            throw damaged(file, "tensor '" + name + "' is " + t.dtype() + ", not floating-point");
        }
        for (float x : v) {
            requireFinite(file, name, x);
        }
        return m.create(v, shape);
    }

    private static void requireFinite(Path file, String name, float x) {
        if (!Float.isFinite(x)) {
            throw nonFinite(file, name);
        }
    }

    static UserException nonFinite(Path file, String tensor) {
        return new UserException(file + ": tensor '" + tensor + "' holds non-finite values (NaN or infinity); the file "
                + "is damaged or was saved from a diverged run: use an earlier checkpoint or another copy");
    }

    private static String required(Path file, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) {
            throw damaged(file, "its metadata lacks '" + key + "'");
        }
        return v;
    }

    private static UserException damaged(Path file, String problem) {
        return new UserException(file + " is damaged: " + problem + "; use an earlier checkpoint or another copy");
    }

    /** CRC-32 (zlib's, {@code zlib.crc32} in Python) as 8 lower-case hex digits. */
    static String crc32(ByteBuffer bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes.duplicate());
        return String.format(Locale.ROOT, "%08x", crc.getValue());
    }
}
