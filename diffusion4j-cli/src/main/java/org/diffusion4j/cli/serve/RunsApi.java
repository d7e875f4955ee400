package org.diffusion4j.cli.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.diffusion4j.train.MetricsLog;
import org.diffusion4j.train.RunFolder;

/**
 * The Runs view: a run folder's loss curve (metrics.jsonl) and its sample grids by step
 * (samples/step-*.png), read afresh on every request so the page follows a run as it trains.
 */
final class RunsApi {
    /** Most points of a loss curve sent; longer logs send every k-th record. */
    static final int MAX_POINTS = 2000;
    private static final Pattern SAMPLE = Pattern.compile("step-(\\d+)\\.png");

    private final List<Path> folders;
    private final Path parent;

    /** {@code folders}: run folders named on the command line; {@code parent}: a folder of runs (or null), listed afresh. */
    RunsApi(List<Path> folders, Path parent) {
        this.folders = List.copyOf(folders);
        this.parent = parent;
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

    /** GET /api/runs/metrics?run=ID: {step: [...], loss: [...]} (every k-th record past MAX_POINTS). */
    void metrics(Request r) throws IOException {
        Path run = run(r);
        Path file = run.resolve(RunFolder.METRICS);
        double[][] rows = inside(run, file) ? MetricsLog.read(file, "loss") : new double[0][];
        int k = Math.max(1, (rows.length + MAX_POINTS - 1) / MAX_POINTS);
        JsonArray steps = new JsonArray();
        JsonArray loss = new JsonArray();
        for (int i = 0; i < rows.length; i += k) {
            steps.add(rows[i][0]);
            loss.add(rows[i][1]);
        }
        JsonObject o = new JsonObject();
        o.add("step", steps);
        o.add("loss", loss);
        o.addProperty("records", rows.length);
        o.addProperty("every", k);
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
