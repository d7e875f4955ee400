package org.diffusion4j.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.diffusion4j.UserException;

/**
 * The safetensors format (docs/model-files.md), read and written without native code: an 8-byte
 * little-endian header length N, N bytes of JSON ({@code "__metadata__"}: string to string, and per
 * tensor its dtype, shape and {@code data_offsets [begin, end)} into the data buffer), then the data
 * buffer, little-endian in C order. Reading validates everything the format promises before it
 * allocates anything for the tensors, so a damaged or hostile file ends in one line.
 */
public final class SafeTensors {
    /** The reference implementation refuses headers over 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA = "__metadata__";

    private SafeTensors() {}

    /** The element types of the format, named as in the file. */
    public enum DType {
        F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

        private final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }

        boolean isFloat() {
            return this == F64 || this == F32 || this == F16 || this == BF16;
        }
    }

    /**
     * One tensor: its element type, shape and data (little-endian, C order). {@link #data()} is a
     * read-only view positioned at the first byte.
     */
    public record Tensor(DType dtype, long[] shape, ByteBuffer data) {
        public Tensor {
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
            long bytes = Math.multiplyExact(SafeTensors.elementCount(shape), dtype.bytes());
            if (data.remaining() != bytes) {
                throw new IllegalArgumentException("a " + dtype + " tensor of shape " + Arrays.toString(shape)
                        + " needs " + bytes + " bytes, not " + data.remaining());
            }
            data = data.slice().asReadOnlyBuffer();
        }

        /** A float32 tensor holding {@code values} in C order. */
        public static Tensor ofFloats(long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Tensor(DType.F32, shape, b);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public ByteBuffer data() {
            return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        /** The number of elements (the product of the shape). */
        public long elementCount() {
            return SafeTensors.elementCount(shape);
        }

        /**
         * The values as float: F32 as stored, F16 and BF16 widened exactly, F64 rounded to the
         * nearest float. Integer tensors are refused.
         */
        public float[] toFloats() {
            if (!dtype.isFloat()) {
                throw new UserException("a " + dtype + " tensor does not hold floating-point values");
            }
            ByteBuffer b = data();
            float[] v = new float[Math.toIntExact(elementCount())];
            switch (dtype) {
                case F32 -> b.asFloatBuffer().get(v);
                case F64 -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) b.getDouble();
                    }
                }
                case F16 -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = HalfFloats.halfToFloat(b.getShort());
                    }
                }
                default -> { // BF16: the upper half of a float32
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                    }
                }
            }
            return v;
        }

        /**
         * This floating-point tensor stored as {@code target} (F32, F64, F16 or BF16), rounded to
         * nearest, ties to even; the same tensor if it already is.
         */
        public Tensor as(DType target) {
            return as(target, null);
        }

        /**
         * As {@link #as(DType)}, refusing a finite value the target cannot hold (float16 ends at
         * 65504): stored, it would read back as infinite, and the file's own reader refuses that.
         *
         * @param name what the tensor is, for the message ("weight down.0.conv.weight"); null: a value out of
         *     range becomes infinite, as in PyTorch
         */
        public Tensor as(DType target, String name) {
            if (target == dtype) {
                return this;
            }
            if (!target.isFloat()) {
                throw new IllegalArgumentException("cannot store floats as " + target);
            }
            float[] v = toFloats();
            ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(v.length, target.bytes())).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) {
                switch (target) {
                    case F32 -> b.putFloat(x);
                    case F64 -> b.putDouble(x);
                    case F16 -> {
                        short h = HalfFloats.floatToHalf(x);
                        if (name != null && Float.isFinite(x) && !Float.isFinite(HalfFloats.halfToFloat(h))) {
                            throw new org.diffusion4j.UserException(name + " holds " + x + ", beyond float16's largest value "
                                    + "65504; store the weights as float32");
                        }
                        b.putShort(h);
                    }
                    default -> b.putShort(HalfFloats.floatToBfloat16(x));
                }
            }
            b.flip();
            return new Tensor(target, shape, b);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tensor t && t.dtype == dtype && Arrays.equals(t.shape, shape) && t.data.equals(data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape), data);
        }

        @Override
        public String toString() {
            return dtype + Arrays.toString(shape);
        }
    }

    /** A file's metadata and its tensors, in file order. */
    public record Contents(Map<String, String> metadata, Map<String, Tensor> tensors) {
        public Contents {
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }
    }

    /**
     * Reads a safetensors file. Any malformation (the header length, the JSON, an unknown dtype, a
     * negative or overflowing shape, offsets that overlap, leave holes or do not cover the data
     * buffer exactly, a byte count that does not match the shape) is a one-line UserException
     * naming the file and the problem.
     */
    public static Contents read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw corrupt(file, "only " + size + " bytes, shorter than the 8-byte header length");
            }
            long n = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 2 || n > MAX_HEADER_BYTES) {
                throw corrupt(file, "its first 8 bytes give the impossible header length " + Long.toUnsignedString(n));
            }
            if (n > size - 8) {
                throw corrupt(file, "the file is truncated: its header needs " + n + " bytes but only " + (size - 8)
                        + " follow");
            }
            ByteBuffer headerBytes = readFully(ch, 8, (int) n);
            if (headerBytes.get(0) != '{') {
                throw corrupt(file, "the header does not start with '{'");
            }
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBytes).toString();
            } catch (CharacterCodingException e) {
                throw corrupt(file, "the header is not UTF-8");
            }
            Header header = parseHeader(file, json);
            long dataStart = 8 + n;
            validateLayout(file, header.entries, size - dataStart);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : header.entries) {
                long length = e.end - e.begin;
                if (length > Integer.MAX_VALUE - 8) {
                    throw corrupt(file, "tensor '" + e.name + "' has " + length + " bytes, over the 2 GiB this reader supports");
                }
                ByteBuffer data = readFully(ch, dataStart + e.begin, (int) length);
                tensors.put(e.name, new Tensor(e.dtype, e.shape, data));
            }
            return new Contents(header.metadata, tensors);
        } catch (NoSuchFileException e) {
            throw new UserException(file + ": no such file");
        } catch (IOException e) {
            throw new UserException(file + ": cannot read (" + AtomicFiles.oneLine(e) + ")", e);
        }
    }

    /**
     * True if the file starts as a safetensors file does (a plausible header length, then '{'):
     * to tell a damaged safetensors file from a file of another kind.
     */
    public static boolean looksLike(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() < 10) {
                return false;
            }
            ByteBuffer b = readFully(ch, 0, 9).order(ByteOrder.LITTLE_ENDIAN);
            long n = b.getLong();
            return n >= 2 && n <= MAX_HEADER_BYTES && b.get() == '{';
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Writes {@code tensors} (in map order) and {@code metadata} atomically; the header is padded
     * with spaces to a multiple of 8 bytes so the data buffer starts aligned, as the format allows.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringWriter sw = new StringWriter();
        try (JsonWriter w = new JsonWriter(sw)) {
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name(METADATA).beginObject();
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    w.name(m.getKey()).value(Objects.requireNonNull(m.getValue(), m.getKey()));
                }
                w.endObject();
            }
            long offset = 0;
            for (Map.Entry<String, Tensor> t : tensors.entrySet()) {
                if (t.getKey().equals(METADATA) || t.getKey().isEmpty()) {
                    throw new IllegalArgumentException("invalid tensor name '" + t.getKey() + "'");
                }
                Tensor x = t.getValue();
                w.name(t.getKey()).beginObject();
                w.name("dtype").value(x.dtype().name());
                w.name("shape").beginArray();
                for (long d : x.shape) {
                    w.value(d);
                }
                w.endArray();
                long end = offset + x.data.remaining();
                w.name("data_offsets").beginArray().value(offset).value(end).endArray();
                w.endObject();
                offset = end;
            }
            w.endObject();
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringWriter does not fail
        }
        byte[] json = sw.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(header);
            for (Tensor t : tensors.values()) {
                copy(t.data(), out);
            }
        });
    }

    /** The product of the dimensions; negative or overflowing shapes are refused. */
    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private record Header(Map<String, String> metadata, List<Entry> entries) {}

    private static Header parseHeader(Path file, String json) {
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (JsonReader r = new JsonReader(new StringReader(json))) {
            r.setStrictness(Strictness.STRICT);
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                if (!seen.add(name)) {
                    throw corrupt(file, "the header names '" + name + "' twice");
                }
                if (name.equals(METADATA)) {
                    r.beginObject();
                    while (r.hasNext()) {
                        String key = r.nextName();
                        if (r.peek() != JsonToken.STRING) {
                            throw corrupt(file, "metadata value '" + key + "' is not a string");
                        }
                        metadata.put(key, r.nextString());
                    }
                    r.endObject();
                } else {
                    entries.add(parseEntry(file, name, r));
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw corrupt(file, "the header has data after its JSON object");
            }
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw corrupt(file, "the header is not the expected JSON (" + RecordJson.problem(e) + ")");
        }
        return new Header(metadata, entries);
    }

    private static Entry parseEntry(Path file, String name, JsonReader r) throws IOException {
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype" -> {
                    String d = r.nextString();
                    try {
                        dtype = DType.valueOf(d);
                    } catch (IllegalArgumentException e) {
                        throw corrupt(file, "tensor '" + name + "' has the unknown dtype '" + d + "'");
                    }
                }
                case "shape" -> shape = longs(r);
                case "data_offsets" -> offsets = longs(r);
                default -> throw corrupt(file, "tensor '" + name + "' has the unknown field '" + field + "'");
            }
        }
        r.endObject();
        if (dtype == null || shape == null || offsets == null) {
            throw corrupt(file, "tensor '" + name + "' lacks its dtype, shape or data_offsets");
        }
        if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) {
            throw corrupt(file, "tensor '" + name + "' has invalid data_offsets " + Arrays.toString(offsets));
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(elementCount(shape), dtype.bytes());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw corrupt(file, "tensor '" + name + "' has the invalid shape " + Arrays.toString(shape));
        }
        if (offsets[1] - offsets[0] != bytes) {
            throw corrupt(file, "tensor '" + name + "' (" + dtype + Arrays.toString(shape) + ") needs " + bytes
                    + " bytes but its data_offsets span " + (offsets[1] - offsets[0]));
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(JsonReader r) throws IOException {
        List<Long> v = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            v.add(r.nextLong());
        }
        r.endArray();
        return v.stream().mapToLong(Long::longValue).toArray();
    }

    /** The tensors, sorted by offset, must tile the data buffer: no overlap, no hole, no tail. */
    private static void validateLayout(Path file, List<Entry> entries, long dataBytes) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw corrupt(file, "tensor '" + e.name + "' overlaps another (data_offsets [" + e.begin + ", " + e.end + "])");
            }
            if (e.begin > expected) {
                throw corrupt(file, "the data buffer has unused bytes " + expected + ".." + e.begin
                        + " before tensor '" + e.name + "'");
            }
            expected = e.end;
        }
        if (expected != dataBytes) {
            throw corrupt(file, "the tensors cover " + expected + " bytes but the data buffer has " + dataBytes
                    + (expected > dataBytes ? " (the file is truncated)" : ""));
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        return b.flip();
    }

    private static void copy(ByteBuffer b, OutputStream out) throws IOException {
        if (b.hasArray()) {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            return;
        }
        byte[] chunk = new byte[1 << 16];
        while (b.hasRemaining()) {
            int k = Math.min(chunk.length, b.remaining());
            b.get(chunk, 0, k);
            out.write(chunk, 0, k);
        }
    }


    private static UserException corrupt(Path file, String problem) {
        return new UserException(file + ": not a valid safetensors file: " + problem
                + "; use an intact copy of the file");
    }
}
