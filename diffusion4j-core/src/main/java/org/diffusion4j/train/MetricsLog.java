package org.diffusion4j.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.UserException;
import org.diffusion4j.io.AtomicFiles;

/** metrics.jsonl: one JSON object per training step (step, loss, lr, gradNorm, msPerStep). */
public final class MetricsLog implements AutoCloseable {
    private final Path file;
    private BufferedWriter writer;

    /**
     * Opens the log for appending, first dropping lines past {@code keepUpToStep} (steps a
     * resumed run will redo).
     */
    public MetricsLog(Path file, long keepUpToStep) {
        this.file = file;
        try {
            if (Files.exists(file)) {
                List<String> kept = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && stepOf(line) <= keepUpToStep) {
                        kept.add(line);
                    }
                }
                AtomicFiles.write(file, out -> {
                    for (String line : kept) {
                        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                });
            }
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UserException(file + ": cannot write the metrics log (" + e.getMessage() + ")");
        }
    }

    private static long stepOf(String line) {
        try {
            return JsonParser.parseString(line).getAsJsonObject().get("step").getAsLong();
        } catch (RuntimeException e) {
            return Long.MAX_VALUE; // a torn last line from a killed run: drop it
        }
    }

    /** Appends one record, a JSON object on one line. */
    public void append(String record) {
        try {
            writer.write(record);
            writer.write('\n');
        } catch (IOException e) {
            throw new UserException(file + ": cannot write the metrics log (" + e.getMessage() + ")");
        }
    }

    public void flush() {
        try {
            writer.flush();
        } catch (IOException e) {
            throw new UserException(file + ": cannot write the metrics log (" + e.getMessage() + ")");
        }
    }

    /** Reads (step, value) pairs of one field from a metrics file. */
    public static double[][] read(Path file, String field) throws IOException {
        List<double[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                rows.add(new double[] {o.get("step").getAsDouble(), o.get(field).getAsDouble()});
            } catch (RuntimeException e) {
                // skip a torn line
            }
        }
        return rows.toArray(new double[0][]);
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (IOException e) {
            // nothing more to save
        }
    }
}
