package org.diffusion4j.cli.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.UserException;
import org.diffusion4j.data.Npy;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.diffusion.StepListener;

/**
 * The Draw view: sampling jobs from a DDPM, followed as server-sent events with x_t and x0Hat
 * every few steps, then the grid (PNG) and the samples (.npy).
 */
final class DrawApi {
    /** Most samples per request. */
    static final int MAX_N = 64;
    /** Most network calls per request (T of the bundled model: Algorithm 2 in full). */
    static final int MAX_STEPS = 1000;
    /** Frames (x_t, x0Hat) per job, about evenly spaced over the steps. */
    static final int FRAMES = 25;
    /** How often a stream shows the client it is alive, which is also how a gone client is noticed. */
    static final long PING_MILLIS = 2000;
    /**
     * Most event streams open at once, in all and per job: each holds one of the server's threads
     * while its job runs, so without a cap streams alone could leave none for other requests.
     */
    static final int MAX_STREAMS = 8;
    static final int MAX_STREAMS_PER_JOB = 4;

    private final ModelCatalog models;
    private final DrawOptions options;
    private final JobQueue queue;
    private final NDManager root;
    private int streams;
    /** Seconds per network call and sample of each model, from its last finished job (for ETAs). */
    private final Map<String, Double> secondsPerCall = new HashMap<>();

    DrawApi(ModelCatalog models, DrawOptions options, JobQueue queue, NDManager root) {
        this.models = models;
        this.options = options;
        this.queue = queue;
        this.root = root;
    }

    /** GET /api/options: the sampling controls. */
    void options(Request r) throws IOException {
        JsonArray a = new JsonArray();
        for (DrawOptions.Option o : options.options()) {
            a.add(Json.GSON.toJsonTree(o));
        }
        JsonObject out = new JsonObject();
        out.add("options", a);
        JsonObject limits = new JsonObject();
        limits.addProperty("n", MAX_N);
        limits.addProperty("steps", MAX_STEPS);
        limits.addProperty("queue", JobQueue.MAX_WAITING);
        out.add("limits", limits);
        r.json(out);
    }

    /** Most rows of a sweep (values of the one setting it varies). */
    static final int MAX_SWEEP = 8;

    /**
     * What a Draw request asks for: one draw, or a sweep (the same seed and settings with one of
     * them, {@code vary}, taking each of {@code values} in turn) drawn as one grid, a row per value.
     */
    record Plan(String model, Ddpm ddpm, String vary, List<String> labels, List<DrawOptions.Draw> draws, List<String> commands,
            int n, int calls) {
        String description() {
            if (vary == null) {
                return draws.get(0).description();
            }
            return "sweep of " + vary + " over " + String.join(", ", labels) + ": " + draws.size() + " rows of " + n + ", "
                    + calls + " network calls in all; the first row " + draws.get(0).description();
        }

        /** Network calls times samples: what the model's speed multiplies. */
        double work() {
            return (double) calls * n;
        }
    }

    /** Parses and checks a request's model and option values (and vary and values for a sweep); 400 for anything wrong. */
    Plan plan(Map<String, String> params) {
        Map<String, String> values = new LinkedHashMap<>(params);
        String id = values.remove("model");
        if (id == null || id.isBlank()) {
            throw HttpError.badRequest("missing parameter 'model'");
        }
        String vary = blankToNull(values.remove("vary"));
        String over = blankToNull(values.remove("values"));
        ModelCatalog.Entry entry = models.entry(id, Ddpm.KIND);
        Ddpm ddpm = models.ddpm(id);
        values.values().removeIf(String::isBlank);
        List<String> labels = new ArrayList<>();
        List<Map<String, String>> each = new ArrayList<>();
        if (vary == null) {
            if (over != null) {
                throw HttpError.badRequest("'values' needs 'vary', the setting that takes them");
            }
            each.add(values);
        } else {
            if (options.options().stream().noneMatch(o -> o.name().equals(vary)) || vary.equals("n") || vary.equals("seed")) {
                throw HttpError.badRequest("a sweep varies one setting of the draw other than n and seed (sampler, steps, "
                        + "guidance, ...), got vary='" + vary + "'");
            }
            if (!ddpm.spec().isImage()) {
                throw HttpError.badRequest("a sweep draws a grid of images; model '" + id + "' makes 2-D points");
            }
            if (over == null) {
                throw HttpError.badRequest("a sweep needs 'values': those of " + vary + " to draw, separated by commas");
            }
            for (String v : over.split(",")) {
                String x = v.trim();
                if (!x.isEmpty() && !labels.contains(x)) {
                    labels.add(x);
                }
            }
            if (labels.size() < 2 || labels.size() > MAX_SWEEP) {
                throw HttpError.badRequest("a sweep takes 2.." + MAX_SWEEP + " different values of " + vary + ", got " + labels.size());
            }
            for (String x : labels) {
                Map<String, String> v = new LinkedHashMap<>(values);
                v.put(vary, x);
                each.add(v);
            }
        }
        List<DrawOptions.Draw> draws = new ArrayList<>();
        List<String> commands = new ArrayList<>();
        int calls = 0;
        for (int i = 0; i < each.size(); i++) {
            DrawOptions.Draw d;
            try {
                d = options.prepare(ddpm, entry.bundled() ? null : entry.source(), each.get(i));
            } catch (HttpError | UserException e) {
                throw vary == null ? e : HttpError.badRequest(vary + " = " + labels.get(i) + ": " + e.getMessage());
            }
            draws.add(d);
            commands.add(command(entry, each.get(i)));
            calls += d.sampler().networkCalls();
        }
        int n = draws.get(0).n();
        if (n < 1 || n > MAX_N) {
            throw HttpError.badRequest("n must be in 1.." + MAX_N + " (the page's limit), got " + n);
        }
        if (n * draws.size() > MAX_N) {
            throw HttpError.badRequest("a sweep draws n for each value: " + draws.size() + " x " + n + " is more than the page's "
                    + MAX_N + " samples; lower n");
        }
        if (calls > MAX_STEPS) {
            throw HttpError.badRequest((vary == null ? "this sampler makes " : "this sweep makes ") + calls
                    + " network calls; the page allows " + MAX_STEPS);
        }
        return new Plan(id, ddpm, vary, labels, draws, commands, n, calls);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** Seconds the plan should take, from this model's pace in earlier jobs; NaN before the first. */
    private double estimate(Plan p) {
        Double rate;
        synchronized (secondsPerCall) {
            rate = secondsPerCall.get(p.model());
        }
        return rate == null ? Double.NaN : rate * p.work();
    }

    private void learn(Plan p, double seconds) {
        if (p.work() > 0 && seconds > 0) {
            synchronized (secondsPerCall) {
                secondsPerCall.put(p.model(), seconds / p.work());
            }
        }
    }

    /**
     * GET /api/resolve (model and option values, as for a job): what the draw would be, with the
     * defaults resolved ("SDE-DPM-Solver++(2M), 16 steps ..."), its network calls, the command,
     * and the seconds it should take and wait (when this model has drawn before). Checks the
     * values as a submit does.
     */
    void resolve(Request r) throws IOException {
        Plan p = plan(r.params());
        JsonObject o = new JsonObject();
        o.addProperty("description", p.description());
        o.addProperty("calls", p.calls());
        o.addProperty("n", p.n());
        JsonArray rows = new JsonArray();
        for (int i = 0; i < p.draws().size(); i++) {
            JsonObject row = new JsonObject();
            if (p.vary() != null) {
                row.addProperty("label", p.labels().get(i));
            }
            row.addProperty("description", p.draws().get(i).description());
            row.addProperty("command", p.commands().get(i));
            rows.add(row);
        }
        o.add("rows", rows);
        o.addProperty("command", String.join("\n", p.commands()));
        double est = estimate(p);
        if (Double.isFinite(est)) {
            o.addProperty("estimate", Math.round(est * 10) / 10.0);
        }
        double wait = queue.waitSeconds();
        if (Double.isFinite(wait)) {
            o.addProperty("wait", Math.round(wait * 10) / 10.0);
        }
        r.json(o);
    }

    /** POST /api/jobs (form: model and option values; vary and values for a sweep): queues a job, returns it at once. */
    void submit(Request r) throws IOException {
        r.withForm();
        Plan p = plan(r.params());
        Job job = new Job(JobQueue.newId(), p.model(), p.description(), String.join("\n", p.commands()), p.n(), p.calls())
                .estimate(estimate(p));
        if (p.vary() != null) {
            job.rows(p.labels().stream().map(v -> p.vary() + " = " + v).toList());
        }
        queue.submit(job, j -> run(j, p));
        r.json(job.describe());
    }

    /** GET /api/queue: the Draw jobs, newest first, with their places in the queue and when they should start. */
    void list(Request r) throws IOException {
        JsonObject o = new JsonObject();
        o.add("jobs", queue.list());
        r.json(o);
    }

    /** The model as 'sample --run' names it: the bundled ones by their place in the repository. */
    static String runArgument(ModelCatalog.Entry e) {
        if (e.source() == null) {
            return e.id(); // built in memory (tests): no file to name
        }
        return e.bundled() ? "models/" + e.source().getFileName() : e.source().toString();
    }

    /** The './diffusion4j sample' line that draws the same samples; booleans only where they differ from the default. */
    private String command(ModelCatalog.Entry entry, Map<String, String> values) {
        StringBuilder b = new StringBuilder("./diffusion4j sample --run ").append(quote(runArgument(entry)));
        for (Map.Entry<String, String> v : values.entrySet()) {
            DrawOptions.Option o = options.options().stream().filter(x -> x.name().equals(v.getKey())).findFirst().orElseThrow();
            if (!"boolean".equals(o.type())) {
                b.append(" --").append(o.name()).append(' ').append(quote(v.getValue().trim()));
            } else if (!v.getValue().trim().equals(String.valueOf(o.defaultValue()))) {
                b.append(v.getValue().trim().equals("true") ? " --" : " --no-").append(o.name());
            }
        }
        return b.append(" --out samples.png").toString();
    }

    /** A shell word: as it is when plain, else in single quotes. */
    static String quote(String s) {
        return s.matches("[A-Za-z0-9_./+:=,-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    private void run(Job job, Plan p) {
        DdpmSpec spec = p.ddpm().spec();
        int every = Math.max(1, p.draws().get(0).sampler().networkCalls() / FRAMES);
        boolean keep = spec.isImage() && p.vary() == null;
        try (NDManager m = root.newSubManager()) {
            NDList rows = new NDList();
            int offset = 0;
            for (DrawOptions.Draw d : p.draws()) {
                int base = offset;
                StepListener listener = (i, count, t, xt, x0Hat) -> {
                    job.checkCancelled();
                    boolean frame = i % every == 0 || i == count - 1;
                    if (frame && keep) {
                        long[] shape = xt.getShape().getShape();
                        job.keepFrame(i + 1, t, Pictures.toDisplay(spec, xt), Pictures.toDisplay(spec, x0Hat),
                                java.util.Arrays.copyOfRange(shape, 1, shape.length));
                    }
                    job.progress(base + i + 1, p.calls(), t, frame ? picture(spec, xt, "x_t") : null,
                            frame ? picture(spec, x0Hat, "x0Hat") : null);
                };
                // one network call for all rows (not exact chunks): the page shows x_t of the whole draw at every step
                rows.add(p.ddpm().sampling(d.n()).batch(d.n()).exact(false).sampler(d.sampler()).seed(d.seed()).listener(listener)
                        .precision(d.precision()).guide(d.guide()).manager(m).draw());
                offset += d.sampler().networkCalls();
            }
            NDArray x = rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows);
            byte[] png = Png.bytes(p.vary() == null ? Pictures.samples(spec, x, null, "samples")
                    : Sweeps.picture(spec, rows, p.labels().stream().map(v -> p.vary() + " = " + v).toList()));
            job.finish("data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png), png, npy(spec, x));
            learn(p, job.seconds());
        } catch (Job.Cancelled c) {
            job.end(Job.State.CANCELLED, "cancelled at step " + job.stepsDone());
        } catch (UserException | IllegalArgumentException e) {
            job.end(Job.State.FAILED, e.getMessage());
        } catch (RuntimeException | OutOfMemoryError e) {
            System.err.println("diffusion4j serve: internal error in " + job.id() + ": " + e);
            job.end(Job.State.FAILED, "internal error (the server's log says more)");
        }
    }

    private static String picture(DdpmSpec spec, NDArray x, String title) {
        return Png.dataUrl(Pictures.samples(spec, x, null, title));
    }

    /** The samples as 'sample --npy' writes them: [N, H, W] (or [N, C, H, W]) in [0, 1]; points [N, D]. */
    static byte[] npy(DdpmSpec spec, NDArray x) {
        float[] v = Pictures.toDisplay(spec, x);
        long[] shape = x.getShape().getShape();
        long[] npyShape = spec.isImage() && shape[1] == 1 ? new long[] {shape[0], shape[2], shape[3]} : shape;
        byte[] header = Npy.header(npyShape);
        ByteBuffer b = ByteBuffer.allocate(header.length + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    /** GET /api/jobs/ID: the job's state. */
    void get(Request r, String id) throws IOException {
        r.json(queue.get(id).describe());
    }

    /** DELETE /api/jobs/ID: cancels it. */
    void cancel(Request r, String id) throws IOException {
        Job j = queue.get(id);
        queue.cancel(j);
        r.json(j.describe());
    }

    /**
     * GET /api/jobs/ID/frames (and sample=K): every frame the job kept, x_t and x0Hat as PNG data
     * URLs, of all its samples (the grid) or of sample K alone, drawn larger.
     */
    void frames(Request r, String id) throws IOException {
        Job job = queue.get(id);
        int k = r.integer("sample", -1, -1, job.n() - 1);
        JsonArray a = new JsonArray();
        for (Job.Frame f : job.frames()) {
            JsonObject o = new JsonObject();
            o.addProperty("step", f.step());
            o.addProperty("t", f.t());
            o.addProperty("xt", Png.dataUrl(Sweeps.frame(f.xt(), job.sampleShape(), k)));
            o.addProperty("x0Hat", Png.dataUrl(Sweeps.frame(f.x0Hat(), job.sampleShape(), k)));
            a.add(o);
        }
        JsonObject o = new JsonObject();
        o.addProperty("sample", k);
        o.add("frames", a);
        r.json(o);
    }

    /** GET /api/jobs/ID/trajectory.gif (and sample=K): the frames as an animated GIF, x_t beside x0Hat. */
    void gif(Request r, String id) throws IOException {
        Job job = queue.get(id);
        int k = r.integer("sample", -1, -1, job.n() - 1);
        List<Job.Frame> frames = job.frames();
        if (frames.isEmpty()) {
            throw HttpError.notFound("job '" + id + "' kept no frames (a sweep, 2-D points, or not started)");
        }
        List<java.awt.image.BufferedImage> pictures = new ArrayList<>();
        for (Job.Frame f : frames) {
            pictures.add(Sweeps.beside(Sweeps.frame(f.xt(), job.sampleShape(), k), Sweeps.frame(f.x0Hat(), job.sampleShape(), k)));
        }
        byte[] gif = Sweeps.gif(pictures);
        r.exchange().getResponseHeaders().set("Content-Disposition", "attachment; filename=\"" + id
                + (k < 0 ? "" : "-sample-" + k) + ".gif\"");
        r.send(200, "image/gif", gif);
    }

    void grid(Request r, String id) throws IOException {
        r.send(200, "image/png", result(queue.get(id).gridPng(), id));
    }

    void samples(Request r, String id) throws IOException {
        r.exchange().getResponseHeaders().set("Content-Disposition", "attachment; filename=\"" + id + ".npy\"");
        r.send(200, "application/octet-stream", result(queue.get(id).npy(), id));
    }

    private static byte[] result(byte[] b, String id) {
        if (b == null) {
            throw HttpError.notFound("job '" + id + "' has no result (yet)");
        }
        return b;
    }

    /**
     * GET /api/jobs/ID/events: server-sent events, one JSON object per change (state, place in
     * the queue, step, time, new frames), until the job ends. A client that goes away leaves the
     * job running: others may be watching it, and cancelling is DELETE's (the Cancel button).
     */
    void events(Request r, String id) throws IOException {
        Job job = queue.get(id);
        r.exchange().getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        r.exchange().getResponseHeaders().set("Cache-Control", "no-store");
        if (r.head()) {
            r.exchange().sendResponseHeaders(200, -1);
            return;
        }
        openStream(job);
        try {
            r.exchange().sendResponseHeaders(200, 0);
            follow(job, r.exchange().getResponseBody());
        } catch (IOException e) {
            // the client went away; the job goes on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeStream(job);
        }
    }

    private static void follow(Job job, OutputStream body) throws IOException, InterruptedException {
        try (OutputStream out = body) {
            int seen = -1;
            int frame = -1;
            while (true) {
                Job.Snapshot s = job.await(seen, frame, PING_MILLIS);
                if (s.version() == seen) {
                    out.write(": ping\n\n".getBytes(StandardCharsets.UTF_8));
                } else {
                    seen = s.version();
                    frame = s.frame();
                    out.write(("data: " + Json.GSON.toJson(s.json()) + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                if (s.terminal()) {
                    return;
                }
            }
        }
    }

    private synchronized void openStream(Job job) {
        if (streams >= MAX_STREAMS || !job.addStream(MAX_STREAMS_PER_JOB)) {
            throw new HttpError(429, "too many event streams open (at most " + MAX_STREAMS + ", " + MAX_STREAMS_PER_JOB
                    + " per job); close a page or follow the job with GET /api/jobs/ID");
        }
        streams++;
    }

    private synchronized void closeStream(Job job) {
        streams--;
        job.removeStream();
    }
}
