package org.diffusion4j.cli.serve;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusion4j.UserException;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.vae.Vae;

/**
 * The page's server: the JDK's own HTTP server (com.sun.net.httpserver, no dependency; it streams
 * chunked responses, which server-sent events need), the static page from the jar, and the JSON
 * API of docs/serve.md. Bad requests get a status and one line of text.
 */
public final class WebServer implements AutoCloseable {
    /** Most requests served at once (event streams hold theirs while a job runs). */
    static final int THREADS = 32;
    /** Most connections open at once; more are closed as they come. */
    static final int MAX_CONNECTIONS = 64;
    /**
     * Seconds a client has to send its whole request (headers and body); a slower one is cut
     * off. Reading a request holds one of the {@link #THREADS}, so without this a few clients
     * trickling one byte at a time would leave none for anyone else.
     */
    static final int READ_TIMEOUT_SECONDS = 10;

    static {
        // The JDK server's own limits, read once when its first server starts; a value given on the
        // command line (-D) wins.
        limit("sun.net.httpserver.maxReqTime", READ_TIMEOUT_SECONDS);
        limit("jdk.httpserver.maxConnections", MAX_CONNECTIONS);
    }

    private static void limit(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, String.valueOf(value));
        }
    }

    private static final String WEB = "/org/diffusion4j/cli/serve/web/";
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js",
            "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "png", "image/png", "svg", "image/svg+xml");

    @FunctionalInterface
    private interface Handler {
        void handle(Request r, Matcher m) throws IOException;
    }

    private record Route(String method, Pattern path, Handler handler) {}

    private final HttpServer server;
    private final ExecutorService pool;
    private final NDManager root;
    private final ModelCatalog models;
    private final JobQueue queue = new JobQueue();
    private final List<Route> routes = new ArrayList<>();
    private final Guard guard;
    private final InetSocketAddress bound;

    /**
     * Binds {@code host:port} (port 0: a free one) and serves {@code models}, which it closes at the
     * end, with {@code runs} (run folders) and the runs under {@code runsParent} (or null).
     */
    public WebServer(String host, int port, ModelCatalog models, DrawOptions options, List<Path> runs, Path runsParent,
            NDManager parent) throws IOException {
        this.models = models;
        this.root = parent.newSubManager();
        DrawApi draw = new DrawApi(models, options, queue, root);
        ForwardApi forward = new ForwardApi(models, queue, root);
        VaeApi vae = new VaeApi(models, queue, root);
        RunsApi runApi = new RunsApi(runs, runsParent, models);
        get("/api/models", (r, m) -> models(r));
        get("/api/options", (r, m) -> draw.options(r));
        get("/api/resolve", (r, m) -> draw.resolve(r));
        get("/api/queue", (r, m) -> draw.list(r));
        route("POST", "/api/jobs", (r, m) -> draw.submit(r));
        get("/api/jobs/([\\w-]+)", (r, m) -> draw.get(r, m.group(1)));
        route("DELETE", "/api/jobs/([\\w-]+)", (r, m) -> draw.cancel(r, m.group(1)));
        get("/api/jobs/([\\w-]+)/events", (r, m) -> draw.events(r, m.group(1)));
        get("/api/jobs/([\\w-]+)/grid.png", (r, m) -> draw.grid(r, m.group(1)));
        get("/api/jobs/([\\w-]+)/samples.npy", (r, m) -> draw.samples(r, m.group(1)));
        get("/api/jobs/([\\w-]+)/frames", (r, m) -> draw.frames(r, m.group(1)));
        get("/api/jobs/([\\w-]+)/trajectory\\.gif", (r, m) -> draw.gif(r, m.group(1)));
        get("/api/schedule", (r, m) -> forward.schedule(r));
        get("/api/forward", (r, m) -> forward.forward(r));
        route("POST", "/api/upload", (r, m) -> forward.upload(r));
        get("/api/vae/sample", (r, m) -> vae.sample(r));
        get("/api/vae/reconstruct", (r, m) -> vae.reconstruct(r));
        get("/api/vae/latent", (r, m) -> vae.latent(r));
        get("/api/vae/manifold", (r, m) -> vae.manifold(r));
        get("/api/vae/decode", (r, m) -> vae.decode(r));
        get("/api/runs", (r, m) -> runApi.list(r));
        get("/api/runs/metrics", (r, m) -> runApi.metrics(r));
        get("/api/runs/samples", (r, m) -> runApi.samples(r));
        get("/api/runs/image", (r, m) -> runApi.image(r));
        route("POST", "/api/runs/model", (r, m) -> runApi.model(r));
        get("/(|index\\.html|app\\.js|style\\.css)", (r, m) -> file(r, m.group(1).isEmpty() ? "index.html" : m.group(1)));

        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(THREADS, task -> {
            Thread t = new Thread(task, "diffusion4j-serve-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        InetSocketAddress asked = new InetSocketAddress(host, port);
        server = HttpServer.create(asked, 64);
        // the address as asked (0.0.0.0, not the dual-stack [::] the socket reports) with the port given
        bound = new InetSocketAddress(asked.getAddress(), server.getAddress().getPort());
        guard = new Guard(bound);
        server.createContext("/", this::dispatch);
        server.setExecutor(pool);
        server.start();
    }

    private void get(String path, Handler h) {
        route("GET", path, h);
    }

    private void route(String method, String path, Handler h) {
        routes.add(new Route(method, Pattern.compile(path), h));
    }

    /** The address bound, with the token the page needs: http://127.0.0.1:8080/?token=... */
    public String url() {
        return "http://" + Guard.literal(bound.getAddress()) + ":" + bound.getPort() + "/?token=" + guard.token();
    }

    /**
     * For an address other than loopback, a warning naming what it exposes and to whom (null for
     * loopback, which only this machine reaches).
     */
    public String exposure() {
        java.net.InetAddress a = bound.getAddress();
        if (a.isLoopbackAddress()) {
            return null;
        }
        String who = a.isAnyLocalAddress() ? "every network this machine is on" : "the network of " + Guard.literal(a);
        return "warning: serving on " + Guard.literal(a) + ", not this machine only: anyone on " + who
                + " who has the address with its token can draw with this machine's CPU, upload images and read the models "
                + "and the run folders (their paths, losses and sample grids); the traffic is plain HTTP, so the token "
                + "can be read on the way. Use the default --host 127.0.0.1 unless that is what you want.";
    }

    public int port() {
        return bound.getPort();
    }

    private void dispatch(HttpExchange ex) {
        Request r = new Request(ex);
        Guard.headers(ex.getResponseHeaders());
        try {
            guard.check(r);
            // HEAD is GET without the body (Request.send leaves it out)
            String method = r.head() ? "GET" : r.method();
            List<String> allowed = new ArrayList<>();
            for (Route route : routes) {
                Matcher m = route.path().matcher(r.path());
                if (m.matches()) {
                    if (route.method().equals(method)) {
                        route.handler().handle(r, m);
                        return;
                    }
                    allowed.add(route.method());
                }
            }
            if (allowed.isEmpty()) {
                throw HttpError.notFound("no such page or endpoint: " + r.path());
            }
            ex.getResponseHeaders().set("Allow", String.join(", ", allowed) + (allowed.contains("GET") ? ", HEAD" : ""));
            throw new HttpError(405, r.method() + " is not allowed on " + r.path() + "; use " + String.join(" or ", allowed));
        } catch (HttpError e) {
            reply(r, e.status(), e.getMessage());
        } catch (UserException e) {
            reply(r, 400, e.getMessage());
        } catch (IOException e) {
            // the client went away
        } catch (RuntimeException | OutOfMemoryError e) {
            // the details are for the server's log, not for whoever sent the request
            System.err.println("diffusion4j serve: internal error on " + r.method() + " " + r.path() + ": " + e);
            reply(r, 500, "internal error (the server's log says more)");
        } finally {
            ex.close();
        }
    }

    private static void reply(Request r, int status, String line) {
        try {
            r.text(status, String.valueOf(line).replace('\n', ' '));
        } catch (IOException | RuntimeException e) {
            // headers already sent, or the client went away
        }
    }

    private void file(Request r, String name) throws IOException {
        try (InputStream in = WebServer.class.getResourceAsStream(WEB + name)) {
            if (in == null) {
                throw HttpError.notFound("no " + name + " in the jar");
            }
            r.send(200, TYPES.get(name.substring(name.lastIndexOf('.') + 1)), in.readAllBytes());
        }
    }

    /** GET /api/models: the DDPMs (with image shape and T) and VAEs (with latent size). */
    private void models(Request r) throws IOException {
        JsonArray ddpms = new JsonArray();
        JsonArray vaes = new JsonArray();
        for (ModelCatalog.Entry e : models.entries()) {
            JsonObject o = new JsonObject();
            o.addProperty("id", e.id());
            o.addProperty("label", e.label());
            o.addProperty("bundled", e.bundled());
            if (Ddpm.KIND.equals(e.kind())) {
                DdpmSpec spec = models.ddpm(e.id()).spec();
                o.addProperty("image", spec.isImage());
                o.add("shape", Json.GSON.toJsonTree(spec.rowShape()));
                o.addProperty("T", spec.schedule().steps());
                // class-conditional: the page offers a class and guidance only for these
                o.addProperty("classes", spec.numClasses());
                o.addProperty("run", DrawApi.runArgument(e));
                ddpms.add(o);
            } else {
                Vae v = models.vae(e.id());
                o.addProperty("latent", v.spec().latent());
                o.addProperty("conditional", v.spec().isConditional());
                o.addProperty("classes", v.spec().isConditional() ? v.spec().numClasses() : 0);
                o.addProperty("autoregressive", v.spec().autoregressive());
                vaes.add(o);
            }
        }
        JsonObject o = new JsonObject();
        o.add("ddpm", ddpms);
        o.add("vae", vaes);
        r.json(o);
    }

    @Override
    public void close() {
        queue.close();
        server.stop(0);
        pool.shutdownNow();
        models.close();
        root.close();
    }
}
