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
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.UserException;
import org.diffusion4j.io.AtomicFiles;

/**
 * The format before safetensors ({@code DIFFUSION4J-CHECKPOINT-1}, docs/model-files.md): a magic
 * line, a length-prefixed JSON header, then named sections of {@link NamedArrays}. Read so that
 * old models and run folders keep working; written only by tests and conversion checks.
 */
final class LegacyCheckpoint {
    static final String MAGIC = "DIFFUSION4J-CHECKPOINT-1";

    private LegacyCheckpoint() {}

    /** True if the file starts with the old magic line. */
    static boolean isLegacy(Path file) {
        byte[] expected = (MAGIC + "\n").getBytes(StandardCharsets.US_ASCII);
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(expected.length), expected);
        } catch (IOException e) {
            return false; // the safetensors reader reports the problem
        }
    }

    static Checkpoint read(Path file, NDManager m) {
        try (InputStream is = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            DataInputStream in = new DataInputStream(is);
            in.readNBytes(MAGIC.length() + 1);
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
        } catch (EOFException e) {
            throw new UserException(file + ": the checkpoint is truncated; use an earlier copy or train again");
        } catch (IOException | RuntimeException e) {
            if (e instanceof UserException) {
                throw (UserException) e;
            }
            throw new UserException(file + ": cannot read the checkpoint (" + oneLine(e) + ")");
        }
    }

    /** Writes {@code c} in the old format (to test that old files stay readable). */
    static void write(Checkpoint c, Path file, DataType storage) {
        AtomicFiles.write(file, os -> {
            DataOutputStream out = new DataOutputStream(os);
            out.write((MAGIC + "\n").getBytes(StandardCharsets.US_ASCII));
            byte[] json = c.header().getBytes(StandardCharsets.UTF_8);
            out.writeInt(json.length);
            out.write(json);
            out.writeInt(c.sections().size());
            for (Map.Entry<String, NamedArrays> e : c.sections().entrySet()) {
                out.writeUTF(e.getKey());
                e.getValue().write(out, storage);
            }
            out.flush();
        });
    }

    private static String oneLine(Exception e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return msg.replace('\n', ' ');
    }
}
