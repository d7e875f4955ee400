package org.diffusion4j.cli.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
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

    /** POST /api/jobs (form: model and option values): queues a job, returns its id at once. */
    void submit(Request r) throws IOException {
        r.withForm();
        Map<String, String> values = new LinkedHashMap<>(r.params());
        String id = values.remove("model");
        if (id == null || id.isBlank()) {
            throw HttpError.badRequest("missing parameter 'model'");
        }
        ModelCatalog.Entry entry = models.entry(id, Ddpm.KIND);
        Ddpm ddpm = models.ddpm(id);
        values.values().removeIf(String::isBlank);
        DrawOptions.Draw d = options.prepare(ddpm, entry.bundled() ? null : entry.source(), values);
        if (d.n() < 1 || d.n() > MAX_N) {
            throw HttpError.badRequest("n must be in 1.." + MAX_N + " (the page's limit), got " + d.n());
        }
        if (d.sampler().networkCalls() > MAX_STEPS) {
            throw HttpError.badRequest("this sampler makes " + d.sampler().networkCalls() + " network calls; the page allows "
                    + MAX_STEPS);
        }
        Job job = new Job(JobQueue.newId(), id, d.description(), command(entry, values), d.n(), d.sampler().networkCalls());
        queue.submit(job, j -> run(j, ddpm, d));
        r.json(job.describe());
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

    private void run(Job job, Ddpm ddpm, DrawOptions.Draw d) {
        DdpmSpec spec = ddpm.spec();
        int every = Math.max(1, d.sampler().networkCalls() / FRAMES);
        StepListener listener = (i, count, t, xt, x0Hat) -> {
            job.checkCancelled();
            boolean frame = i % every == 0 || i == count - 1;
            job.progress(i + 1, count, t, frame ? picture(spec, xt, "x_t") : null, frame ? picture(spec, x0Hat, "x0Hat") : null);
        };
        try (NDManager m = root.newSubManager()) {
            NDArray x = ddpm.sampling(d.n()).batch(d.n()).sampler(d.sampler()).seed(d.seed()).listener(listener)
                    .precision(d.precision()).guide(d.guide()).manager(m).draw();
            byte[] png = Png.bytes(Pictures.samples(spec, x, null, "samples"));
            job.finish("data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png), png, npy(spec, x));
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
