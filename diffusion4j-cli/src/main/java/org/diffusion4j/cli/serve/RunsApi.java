package org.diffusion4j.cli.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.RunFolder;

/**
 * The Runs view: a run folder's loss curve (metrics.jsonl) and its sample grids by step
 * (samples/step-*.png), read afresh on every request so the page follows a run as it trains.
 */
final class RunsApi {
    /** Most points of a loss curve sent; longer logs send every k-th record. */
    static final int MAX_POINTS = 2000;
    private static final Pattern SAMPLE = Pattern.compile("step-(\\d+)\\.png");

    /** The fields of metrics.jsonl the page plots, besides the step. */
    static final List<String> FIELDS = List.of("loss", "lr", "gradNorm", "msPerStep");

    private final List<Path> folders;
    private final Path parent;
    private final ModelCatalog models;
    /** Checkpoints added to the catalog from here: the model id and the checkpoint's time then. */
    private final Map<Path, Object[]> added = new HashMap<>();

    /**
     * {@code folders}: run folders named on the command line; {@code parent}: a folder of runs (or
     * null), listed afresh; {@code models}: where "draw from this checkpoint" adds a run's model.
     */
    RunsApi(List<Path> folders, Path parent, ModelCatalog models) {
        this.folders = List.copyOf(folders);
        this.parent = parent;
        this.models = models;
    }

    /** The runs by id (their folder names, made unique). */
    private Map<String, Path> runs() throws IOException {
        List<Path> all = new ArrayList<>(folders);
        if (parent != null && Files.isDirectory(parent)) {
            try (Stream<Path> s = Files.list(parent)) {
                s.filter(RunsApi::isRun).sorted().forEach(p -> {
                    if (!all.contains(p)) {
                        all.add(p);
                    }
                });
            }
        }
        Map<String, Path> byId = new LinkedHashMap<>();
        for (Path p : all) {
            String base = p.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
            String id = base;
            for (int i = 2; byId.containsKey(id); i++) {
                id = base + "-" + i;
            }
            byId.put(id, p);
        }
        return byId;
    }

    static boolean isRun(Path p) {
        return Files.isDirectory(p) && (Files.isRegularFile(p.resolve(RunFolder.METRICS)) || Files.isDirectory(p.resolve("samples")));
    }

    private Path run(Request r) throws IOException {
        String id = r.require("run");
        Path p = runs().get(id);
        if (p == null) {
            throw HttpError.badRequest("no run '" + id + "'; GET /api/runs lists them");
        }
        return p;
    }

    /** GET /api/runs: [{id, path}]. */
    void list(Request r) throws IOException {
        JsonArray a = new JsonArray();
        for (Map.Entry<String, Path> e : runs().entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("id", e.getKey());
            o.addProperty("path", e.getValue().toString());
            Path ck = Checkpoint.fileOf(e.getValue());
            o.addProperty("checkpoint", inside(e.getValue(), ck));
            a.add(o);
        }
        JsonObject o = new JsonObject();
        o.add("runs", a);
        r.json(o);
    }

    /**
     * Whether {@code p} is a regular file whose real path lies inside the run folder: a symbolic
     * link out of it (to /etc/passwd, say) is not the run's and is not served.
     */
    static boolean inside(Path run, Path p) throws IOException {
        return Files.isRegularFile(p) && p.toRealPath().startsWith(run.toRealPath());
    }

    /**
     * GET /api/runs/metrics?run=ID: {step: [...], loss: [...], and lr, gradNorm, msPerStep where
     * the log has them} (every k-th record past MAX_POINTS); a value that is missing or not finite
     * (a skipped step's gradient norm) is null.
     */
    void metrics(Request r) throws IOException {
        Path run = run(r);
        Path file = run.resolve(RunFolder.METRICS);
        List<JsonObject> rows = new ArrayList<>();
        if (inside(run, file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    if (o.has("step") && o.has("loss")) {
                        rows.add(o);
                    }
                } catch (RuntimeException e) {
                    // a torn or blank line (the run is writing it)
                }
            }
        }
        int k = Math.max(1, (rows.size() + MAX_POINTS - 1) / MAX_POINTS);
        JsonArray steps = new JsonArray();
        Map<String, JsonArray> fields = new LinkedHashMap<>();
        for (String f : FIELDS) {
            fields.put(f, new JsonArray());
        }
        Map<String, Boolean> seen = new HashMap<>();
        for (int i = 0; i < rows.size(); i += k) {
            JsonObject row = rows.get(i);
            steps.add(number(row, "step"));
            for (String f : FIELDS) {
                Double v = number(row, f);
                fields.get(f).add(v);
                if (v != null) {
                    seen.put(f, true);
                }
            }
        }
        JsonObject o = new JsonObject();
        o.add("step", steps);
        for (String f : FIELDS) {
            if (f.equals("loss") || seen.containsKey(f)) {
                o.add(f, fields.get(f));
            }
        }
        o.addProperty("records", rows.size());
        o.addProperty("every", k);
        r.json(o);
    }

    private static Double number(JsonObject row, String field) {
        try {
            double v = row.get(field).getAsDouble();
            return Double.isFinite(v) ? v : null;
        } catch (RuntimeException e) {
            return null; // missing, null or not a number
        }
    }

    /**
     * POST /api/runs/model (run=ID): the run's checkpoint as a model of the page, for "draw from
     * this checkpoint": {id, kind}. Added once per checkpoint written; a newer checkpoint (the run
     * trains on) is added afresh, beside the one already loaded.
     */
    void model(Request r) throws IOException {
        r.withForm();
        Path run = run(r);
        Path ck = Checkpoint.fileOf(run);
        if (!inside(run, ck)) {
            throw HttpError.badRequest("run '" + r.require("run") + "' has no checkpoint yet (" + RunFolder.CHECKPOINT + ")");
        }
        FileTime time = Files.getLastModifiedTime(ck);
        String id;
        synchronized (added) {
            Object[] had = added.get(run);
            if (had != null && had[1].equals(time)) {
                id = (String) had[0];
            } else {
                id = models.add(run, false);
                added.put(run, new Object[] {id, time});
            }
        }
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("kind", models.entries().stream().filter(e -> e.id().equals(id)).findFirst().orElseThrow().kind());
        r.json(o);
    }

    /** GET /api/runs/samples?run=ID: [{name, step}] of samples/step-*.png, by step. */
    void samples(Request r) throws IOException {
        Path run = run(r);
        Path dir = run.resolve("samples");
        List<long[]> found = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                    Matcher m = SAMPLE.matcher(p.getFileName().toString());
                    if (m.matches() && inside(run, p)) {
                        found.add(new long[] {Long.parseLong(m.group(1)), names.size()});
                        names.add(m.group());
                    }
                }
            }
        }
        found.sort((a, b) -> Long.compare(a[0], b[0]));
        JsonArray a = new JsonArray();
        for (long[] f : found) {
            JsonObject o = new JsonObject();
            o.addProperty("name", names.get((int) f[1]));
            o.addProperty("step", f[0]);
            a.add(o);
        }
        JsonObject o = new JsonObject();
        o.add("samples", a);
        r.json(o);
    }

    /** GET /api/runs/image?run=ID&amp;name=step-N.png: one sample grid (names other than step-N.png are refused). */
    void image(Request r) throws IOException {
        Path run = run(r);
        Path dir = run.resolve("samples");
        String name = r.require("name");
        if (!SAMPLE.matcher(name).matches()) {
            throw HttpError.badRequest("name must look like step-0000300.png, got '" + name + "'");
        }
        Path p = dir.resolve(name);
        if (!inside(run, p)) {
            throw HttpError.notFound("no " + name + " in the run's samples");
        }
        r.send(200, "image/png", Files.readAllBytes(p));
    }
}
