package org.diffusion4j.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.diffusion4j.io.AtomicFiles;

/** Writes a JSON document, pretty-printed, atomically. */
final class AtomicConfig {
    private AtomicConfig() {}

    static void write(Path file, JsonElement json) {
        String text = new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n";
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
