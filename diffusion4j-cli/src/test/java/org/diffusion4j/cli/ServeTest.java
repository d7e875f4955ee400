package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.cli.serve.DrawOptions;
import org.diffusion4j.cli.serve.ModelCatalog;
import org.diffusion4j.cli.serve.WebServer;
import org.diffusion4j.data.Mnist;
import org.diffusion4j.ddpm.Ddpm;
import org.diffusion4j.ddpm.DdpmSpec;
import org.diffusion4j.ddpm.Pictures;
import org.diffusion4j.ddpm.net.UNetConfig;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.StepListener;
import org.diffusion4j.nn.Precision;
import org.diffusion4j.vae.Vae;
import org.diffusion4j.vae.VaeSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 'serve': a server on a free port with a small untrained U-Net (28x28, T = 100) and a VAE with a
 * 2-D latent built here, every endpoint exercised over HTTP, bad input, the queue and
 * cancellation; the bundled model at two steps; and the page itself in headless Chromium.
 */
class ServeTest {
    private static final int T = 100;
    /** DrawApi.PING_MILLIS: how soon a stream notices that its client has gone. */
    private static final long DRAW_PING_MILLIS = 2000;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String TOKEN_HEADER = "X-Diffusion4j-Token";
    private static NDManager manager;
    private static Ddpm tiny;
    private static Vae vae;
    private static WebServer server;
    /** The server's base address (http://127.0.0.1:PORT/) and its token, from the address it prints. */
    private static String url;
    private static String token;
    private static Path runs;
    /** Where the next prepared draw stops and waits (null: it runs freely). */
    private static volatile Gate gate;

    /** Holds a sampler at one step until released. */
    static final class Gate {
        final int step;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Gate(int step) {
            this.step = step;
        }
    }

    /** The real options, with the sampler held at the gate's step when a gate is set. */
    static final class GatedOptions implements DrawOptions {
        private final ServeSampling real = new ServeSampling();

        @Override
        public List<Option> options() {
            return real.options();
        }

        @Override
        public Draw prepare(Ddpm ddpm, Path source, Map<String, String> values) {
            Draw d = real.prepare(ddpm, source, values);
            Gate g = gate;
            if (g == null) {
                return d;
            }
            Sampler inner = d.sampler();
            Sampler held = new Sampler() {
                @Override
                public int networkCalls() {
                    return inner.networkCalls();
                }

                @Override
                public org.diffusion4j.diffusion.NoiseSchedule schedule() {
                    return inner.schedule();
                }

                @Override
                public NDArray denoise(Denoiser model, NDArray xT, org.diffusion4j.diffusion.Noise noise, StepListener listener) {
                    return inner.denoise(model, xT, noise, (i, count, t, xt, x0) -> {
                        if (i == g.step) {
                            g.reached.countDown();
                            try {
                                g.release.await(60, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        listener.onStep(i, count, t, xt, x0);
                    });
                }
            };
            return new Draw(d.n(), d.seed(), held, d.precision(), d.description(), d.guide());
        }
    }

    @BeforeAll
    static void start() throws IOException {
        TorchRuntime.init();
        TorchRuntime.setThreads(1);
        manager = TorchRuntime.newManager();
        DdpmSpec spec = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 28, 28, NoiseSchedule.linear(T, 1e-4, 0.02),
                GaussianDiffusion.LossType.L2);
        tiny = Ddpm.create(spec, manager, 1);
        // recommends the bundled models' sampler, as their files do (a model made in code recommends Algorithm 2)
        tiny.setDefaultSampler(org.diffusion4j.diffusion.SamplerSettings.of(org.diffusion4j.diffusion.SamplerSettings.Kind.DPMPP_2M_SDE)
                .withSteps(16).withEta(1.1));
        vae = Vae.create(VaeSpec.builder(1, 28, 28).hidden(32).latent(2).build(), manager, 2);
        ModelCatalog catalog = new ModelCatalog(manager);
        catalog.add("tiny", tiny);
        catalog.add("vae2", vae);
        runs = Files.createTempDirectory("serve-runs");
        Path run = Files.createDirectories(runs.resolve("r1").resolve("samples"));
        Files.writeString(run.getParent().resolve("metrics.jsonl"), "{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.25}\n");
        ImageIO.write(new BufferedImage(10, 6, BufferedImage.TYPE_BYTE_GRAY), "png", run.resolve("step-0000002.png").toFile());
        ImageIO.write(new BufferedImage(12, 6, BufferedImage.TYPE_BYTE_GRAY), "png", run.resolve("step-0000001.png").toFile());
        server = new WebServer("127.0.0.1", 0, catalog, new GatedOptions(), List.of(), runs, manager);
        use(server);
    }

    /** Talks to {@code s} from now on, with the token from the address it prints. */
    static void use(WebServer s) {
        String printed = s.url();
        int q = printed.indexOf("?token=");
        assertTrue(q > 0, printed);
        url = printed.substring(0, q);
        token = printed.substring(q + "?token=".length());
    }

    @AfterAll
    static void stop() {
        server.close(); // closes the catalog and with it the models
        manager.close();
    }

    record Reply(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonObject json() {
            assertEquals(200, status, text());
            return JsonParser.parseString(text()).getAsJsonObject();
        }
    }

    static Reply get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url + path)).GET());
    }

    static Reply post(String path, String form) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
    }

    static Reply delete(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url + path)).DELETE());
    }

    /** Sends with the token, as the page does. */
    static Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return sendBare(b.header(TOKEN_HEADER, token));
    }

    /** Sends without adding the token. */
    static Reply sendBare(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.body());
    }

    static HttpRequest.Builder events(String id) {
        return HttpRequest.newBuilder(URI.create(url + "api/jobs/" + id + "/events")).header(TOKEN_HEADER, token);
    }

    /** Submits a draw that stops at the gate's step; returns its id once it is there. */
    static String held(Gate g, String form) throws Exception {
        gate = g;
        String id;
        try {
            id = post("api/jobs", form).json().get("id").getAsString();
        } finally {
            gate = null;
        }
        assertTrue(g.reached.await(60, TimeUnit.SECONDS), "the job reached step " + g.step);
        return id;
    }

    /** Follows a job's event stream to its end; returns every event. */
    static List<JsonObject> follow(String id) throws IOException, InterruptedException {
        HttpResponse<java.util.stream.Stream<String>> r = HTTP.send(events(id).build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals("text/event-stream; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        List<JsonObject> events = new ArrayList<>();
        try (java.util.stream.Stream<String> lines = r.body()) {
            for (Iterator<String> it = lines.iterator(); it.hasNext();) {
                String line = it.next();
                if (line.startsWith("data: ")) {
                    events.add(JsonParser.parseString(line.substring(6)).getAsJsonObject());
                }
            }
        }
        return events;
    }

    static String state(String id) throws IOException, InterruptedException {
        return get("api/jobs/" + id).json().get("state").getAsString();
    }

    static BufferedImage image(byte[] png) throws IOException {
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    static BufferedImage dataUrl(String url) throws IOException {
        assertTrue(url.startsWith("data:image/png;base64,"), url);
        return image(Base64.getDecoder().decode(url.substring("data:image/png;base64,".length())));
    }

    @Test
    void thePageAndItsListsAreServed() throws Exception {
        assertTrue(get("").text().contains("<title>diffusion4j</title>"));
        assertTrue(get("app.js").text().contains(TOKEN_HEADER));
        assertEquals(200, get("style.css").status());
        assertEquals(404, get("nothing-here").status());
        assertEquals(405, delete("api/models").status());

        JsonObject models = get("api/models").json();
        JsonObject d = models.getAsJsonArray("ddpm").get(0).getAsJsonObject();
        assertEquals("tiny", d.get("id").getAsString());
        assertEquals(T, d.get("T").getAsInt());
        assertEquals(0, d.get("classes").getAsInt(), "not class-conditional: the page hides class and guidance");
        assertEquals(2, models.getAsJsonArray("vae").get(0).getAsJsonObject().get("latent").getAsInt());

        // The controls are the 'sample' command's options, samplers listed from its enum.
        JsonArray options = get("api/options").json().getAsJsonArray("options");
        List<String> names = new ArrayList<>();
        options.forEach(o -> names.add(o.getAsJsonObject().get("name").getAsString()));
        assertTrue(names.containsAll(List.of("n", "sampler", "steps", "eta", "seed")), names.toString());
        assertFalse(names.contains("out") || names.contains("run") || names.contains("threads"), names.toString());
        JsonObject sampler = options.get(names.indexOf("sampler")).getAsJsonObject();
        List<String> choices = new ArrayList<>();
        sampler.getAsJsonArray("choices").forEach(c -> choices.add(c.getAsString()));
        List<String> kinds = new ArrayList<>();
        for (org.diffusion4j.diffusion.SamplerSettings.Kind k : org.diffusion4j.diffusion.SamplerSettings.Kind.values()) {
            kinds.add(k.toString());
        }
        assertEquals(kinds, choices);
    }

    /** A draw streams frames and ends with the same samples the library draws for the same seed. */
    @Test
    void drawStreamsFramesAndGivesTheLibrarysSamples() throws Exception {
        JsonObject job = post("api/jobs", "model=tiny&n=4&sampler=ddim&steps=6&eta=0&seed=7").json();
        String id = job.get("id").getAsString();
        assertEquals("./diffusion4j sample --run tiny --n 4 --sampler ddim --steps 6 --eta 0 --seed 7 --out samples.png",
                job.get("command").getAsString(), "the same draw from the command line");
        List<JsonObject> events = follow(id);
        JsonObject last = events.get(events.size() - 1);
        assertEquals("done", last.get("state").getAsString(), last.toString());
        assertEquals(6, last.get("step").getAsInt());
        int frames = 0;
        for (JsonObject e : events) {
            if (e.has("xt")) {
                frames++;
                assertEquals(2 * (56 + 2) + 2, dataUrl(e.get("x0Hat").getAsString()).getWidth());
            }
        }
        // Every step of six makes a frame (FRAMES = 25 > 6), but the stream sends the newest one
        // when the client asks, so a fast job may show the client fewer of them.
        assertTrue(frames >= 1 && frames <= 6, frames + " frames for 6 steps");
        BufferedImage grid = image(get("api/jobs/" + id + "/grid.png").body);
        assertEquals(118, grid.getWidth(), "2 columns of 28 px digits drawn 2x, padding 2");
        assertEquals(118, dataUrl(last.get("grid").getAsString()).getHeight());

        byte[] npy = get("api/jobs/" + id + "/samples.npy").body;
        String header = new String(npy, 10, 118, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': (4, 28, 28)"), header);
        float[] served = new float[4 * 28 * 28];
        ByteBuffer.wrap(npy, 128, 4 * served.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(served);
        float[] direct;
        synchronized (ServeTest.class) {
            try (NDManager m = manager.newSubManager()) {
                NDArray x = tiny.sampling(4).sampler(new DdimSampler(tiny.spec().schedule(), 6, 0, true)).seed(7).manager(m).draw();
                direct = Pictures.toDisplay(tiny.spec(), x);
            }
        }
        assertArrayEquals(direct, served, 1e-6f, "the page's samples are the library's for the same seed");
    }

    @Test
    void badParametersGet400WithOneLine() throws Exception {
        String[] forms = {"n=4", "model=nope", "model=tiny&n=0", "model=tiny&n=65", "model=tiny&sampler=euler-x", "model=tiny&steps=0",
            "model=tiny&steps=101", "model=tiny&eta=-1", "model=tiny&seed=abc", "model=tiny&color=red", "model=tiny&clip=maybe"};
        for (String f : forms) {
            Reply r = post("api/jobs", f);
            assertEquals(400, r.status(), f + ": " + r.text());
            assertEquals(1, r.text().strip().lines().count(), r.text());
        }
        String[] gets = {"api/forward?model=tiny&t=101", "api/forward?model=tiny&t=-1", "api/forward?model=tiny&index=10000",
            "api/forward?model=tiny&source=upload-999", "api/forward", "api/schedule?model=vae2", "api/vae/sample?model=vae2&n=65",
            "api/vae/decode?model=vae2&z1=nan", "api/vae/reconstruct?model=vae2&index=-3", "api/vae/manifold?model=vae2&side=1",
            "api/vae/latent?model=tiny", "api/runs/metrics?run=zz", "api/runs/image?run=r1&name=../../etc/passwd"};
        for (String g : gets) {
            Reply r = get(g);
            assertEquals(400, r.status(), g + ": " + r.text());
            assertEquals(1, r.text().strip().lines().count(), r.text());
        }
        assertEquals(400, send(HttpRequest.newBuilder(URI.create(url + "api/upload?model=tiny"))
                .POST(HttpRequest.BodyPublishers.ofString("not an image"))).status());
        assertEquals(404, get("api/jobs/job-999").status());
        assertEquals(404, delete("api/jobs/job-999").status());
    }

    /** DELETE stops a running job at its next step; a queued job waits with its place and never runs. */
    @Test
    void cancelStopsTheSamplingAndQueuedJobsWait() throws Exception {
        synchronized (ServeTest.class) {
            Gate g = new Gate(3);
            String a = held(g, "model=tiny&n=2&sampler=ddpm");
            JsonObject b = post("api/jobs", "model=tiny&n=2&sampler=ddim&steps=5").json();
            String bid = b.get("id").getAsString();
            assertEquals("queued", state(bid));
            assertEquals(1, get("api/jobs/" + bid).json().get("position").getAsInt(), "b waits first in line");
            assertEquals("cancelled", delete("api/jobs/" + bid).json().get("state").getAsString());

            delete("api/jobs/" + a);
            g.release.countDown();
            List<JsonObject> events = follow(a);
            JsonObject end = events.get(events.size() - 1);
            assertEquals("cancelled", end.get("state").getAsString(), end.toString());
            assertEquals(3, end.get("step").getAsInt(), "stopped at its next step: 3 of " + T + " network calls done");
            assertEquals(T, end.get("count").getAsInt());
            JsonObject bEnd = get("api/jobs/" + bid).json();
            assertEquals("cancelled", bEnd.get("state").getAsString());
            assertEquals(0, bEnd.get("step").getAsInt(), "the queued job never ran");
            assertEquals(404, get("api/jobs/" + a + "/grid.png").status());
        }
    }

    /** Finding 5: a viewer that closes its event stream leaves the job running for the others; cancelling is DELETE's. */
    @Test
    void aClientThatGoesAwayLeavesTheJobRunning() throws Exception {
        synchronized (ServeTest.class) {
            Gate g = new Gate(2);
            String a = held(g, "model=tiny&n=1&sampler=ddim&steps=4");
            java.util.concurrent.CompletableFuture<List<JsonObject>> other = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return follow(a);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            HttpResponse<InputStream> r = HTTP.send(events(a).build(), HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = r.body();
            assertTrue(new String(in.readNBytes(6), StandardCharsets.UTF_8).startsWith("data: "));
            in.close();
            // The server notices at its next write (a ping within 2 s); the old server cancelled then.
            Thread.sleep(DRAW_PING_MILLIS + 1500);
            assertFalse(get("api/jobs/" + a).json().has("cancelling"), "closing one stream asks nothing of the job");
            g.release.countDown();
            List<JsonObject> seen = other.get(60, TimeUnit.SECONDS);
            JsonObject end = seen.get(seen.size() - 1);
            assertEquals("done", end.get("state").getAsString(), end.toString());
            assertEquals(4, end.get("step").getAsInt());
        }
    }

    /** x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps, recomputed here pixel by pixel. */
    @Test
    void forwardProcessMatchesTheClosedForm() throws Exception {
        NoiseSchedule s = tiny.spec().schedule();
        JsonObject sch = get("api/schedule?model=tiny").json();
        assertEquals(T + 1, sch.getAsJsonArray("alphaBar").size());
        assertEquals(s.alphaBar(37), sch.getAsJsonArray("alphaBar").get(37).getAsDouble(), 1e-12);

        int t = 40;
        long seed = 5;
        JsonObject f = get("api/forward?model=tiny&index=12&t=" + t + "&seed=" + seed).json();
        double ab = s.alphaBar(t);
        assertEquals(ab / (1 - ab), f.get("snr").getAsDouble(), 1e-9);
        BufferedImage xt = dataUrl(f.get("xt").getAsString());
        assertEquals(28 * 7, xt.getWidth(), "drawn 7x");
        float[] x0 = Mnist.test().row(12);
        Random g = new Random(seed);
        int worst = 0;
        for (int i = 0; i < x0.length; i++) {
            double v = Math.sqrt(ab) * (2 * x0[i] - 1) + Math.sqrt(1 - ab) * g.nextGaussian();
            int expected = (int) Math.round(Math.max(0, Math.min(1, (v + 1) / 2)) * 255);
            int got = xt.getRaster().getSample((i % 28) * 7 + 3, (i / 28) * 7 + 3, 0);
            worst = Math.max(worst, Math.abs(expected - got));
        }
        assertTrue(worst <= 1, "largest pixel difference " + worst);

        JsonObject clean = get("api/forward?model=tiny&index=12&t=0").json();
        assertEquals(clean.get("x0").getAsString(), clean.get("xt").getAsString(), "x_0 at t = 0");
        assertTrue(Double.isInfinite(clean.get("snr").getAsDouble()));

        // An upload: a white square on black, resized to 28x28, is the x_0 at t = 0.
        BufferedImage up = new BufferedImage(56, 56, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 14; y < 42; y++) {
            for (int x = 14; x < 42; x++) {
                up.getRaster().setSample(x, y, 0, 255);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(up, "png", png);
        JsonObject u = JsonParser.parseString(send(HttpRequest.newBuilder(URI.create(url + "api/upload?model=tiny"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(png.toByteArray()))).text()).getAsJsonObject();
        String src = u.get("source").getAsString();
        BufferedImage x0u = dataUrl(get("api/forward?model=tiny&t=0&source=" + src).json().get("xt").getAsString());
        assertEquals(255, x0u.getRaster().getSample(14 * 7 + 3, 14 * 7 + 3, 0));
        assertEquals(0, x0u.getRaster().getSample(3, 3, 0));
    }

    @Test
    void vaeEndpointsDecodeWhatTheLibraryDecodes() throws Exception {
        JsonObject lat = get("api/vae/latent?model=vae2").json();
        assertEquals("[0,1]", lat.get("dims").toString(), "a 2-D latent is its own plane");
        JsonArray pts = lat.getAsJsonArray("points");
        assertEquals(2000, pts.size());
        float[] mu;
        try (NDManager m = manager.newSubManager()) {
            mu = vae.encodeMeans(Mnist.test().subset(1000), m);
        }
        for (int i = 0; i < 20; i++) {
            assertEquals(mu[i], pts.get(i).getAsFloat(), 1e-6f);
        }
        assertEquals(Mnist.test().label(3), lat.getAsJsonArray("labels").get(3).getAsInt());

        BufferedImage hover = dataUrl(get("api/vae/decode?model=vae2&z1=0.5&z2=-1").json().get("image").getAsString());
        float[] expected;
        try (NDManager m = manager.newSubManager()) {
            expected = vae.decode(m.create(new float[] {0.5f, -1f}, new Shape(1, 2)), null, m).toFloatArray();
        }
        assertEquals(28 * 6 + 4, hover.getWidth(), "one digit drawn 6x with padding 2");
        for (int i = 0; i < 784; i += 97) {
            int got = hover.getRaster().getSample(2 + (i % 28) * 6, 2 + (i / 28) * 6, 0);
            assertEquals(Math.round(expected[i] * 255), got, 1.0);
        }
        assertEquals(12 * 28, dataUrl(get("api/vae/manifold?model=vae2&side=12").json().get("image").getAsString()).getWidth());
        assertEquals(4 * 58 + 2, dataUrl(get("api/vae/sample?model=vae2&n=16&seed=3").json().get("image").getAsString()).getWidth());
        JsonObject rec = get("api/vae/reconstruct?model=vae2&index=5").json();
        assertEquals(Mnist.test().label(5), rec.get("label").getAsInt());
        assertEquals(172, dataUrl(rec.get("recon").getAsString()).getWidth());
    }

    @Test
    void runsShowTheLossAndSampleGridsAsTheyGrow() throws Exception {
        JsonArray list = get("api/runs").json().getAsJsonArray("runs");
        assertEquals("r1", list.get(0).getAsJsonObject().get("id").getAsString());
        JsonObject m = get("api/runs/metrics?run=r1").json();
        assertEquals("[1.0,2.0]", m.get("step").toString());
        assertEquals("[0.5,0.25]", m.get("loss").toString());
        JsonArray s = get("api/runs/samples?run=r1").json().getAsJsonArray("samples");
        assertEquals("step-0000001.png", s.get(0).getAsJsonObject().get("name").getAsString(), "by step");
        assertEquals(12, image(get("api/runs/image?run=r1&name=step-0000001.png").body).getWidth());
        assertEquals(404, get("api/runs/image?run=r1&name=step-0000009.png").status());

        // The run trains on: the next requests see the new record and grid.
        Path run = runs.resolve("r1");
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":3,\"loss\":0.125}\n", java.nio.file.StandardOpenOption.APPEND);
        ImageIO.write(new BufferedImage(14, 6, BufferedImage.TYPE_BYTE_GRAY), "png", run.resolve("samples/step-0000003.png").toFile());
        assertEquals(3, get("api/runs/metrics?run=r1").json().get("records").getAsInt());
        assertTrue(get("api/runs/samples?run=r1").text().contains("step-0000003.png"), "a new grid appears");
        Files.createDirectories(runs.resolve("r2"));
        Files.writeString(runs.resolve("r2").resolve("metrics.jsonl"), "");
        assertTrue(get("api/runs").text().contains("\"r2\""), "a new run folder appears");
    }

    // ---- issue 49: security and limits, one test per finding ----

    /** A raw HTTP/1.1 exchange over a socket (the JDK's client sends no foreign Host nor a bad %-escape); returns the whole answer. */
    static String raw(String method, String path, String... headers) throws IOException {
        return rawWithBody(method, path, "", headers);
    }

    static String rawWithBody(String method, String path, String body, String... headers) throws IOException {
        URI u = URI.create(url);
        try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(30_000);
            StringBuilder req = new StringBuilder(method + " /" + path + " HTTP/1.1\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            req.append(body.isEmpty() ? "" : "Content-Length: " + body.length() + "\r\n");
            s.getOutputStream().write(req.append("Connection: close\r\n\r\n").append(body).toString().getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    static int status(String rawAnswer) {
        return Integer.parseInt(rawAnswer.split(" ")[1]);
    }

    String host() {
        return "Host: 127.0.0.1:" + URI.create(url).getPort();
    }

    /** Finding 1: every /api request needs the server's secret token in a custom header; the page itself does not. */
    @Test
    void everyApiRequestNeedsTheToken() throws Exception {
        assertTrue(server.url().matches("http://127\\.0\\.0\\.1:\\d+/\\?token=[0-9a-f]{32}"), server.url());
        assertEquals(200, sendBare(HttpRequest.newBuilder(URI.create(url))).status(), "the page loads without it");
        HttpRequest.Builder[] refused = {
            HttpRequest.newBuilder(URI.create(url + "api/models")),
            HttpRequest.newBuilder(URI.create(url + "api/models")).header(TOKEN_HEADER, "0".repeat(32)),
            // what a form or a no-cors fetch from another page sends
            HttpRequest.newBuilder(URI.create(url + "api/jobs")).header("Origin", url.substring(0, url.length() - 1))
                    .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("model=tiny&n=1&steps=1")),
            HttpRequest.newBuilder(URI.create(url + "api/jobs?model=tiny&n=1&steps=1")).POST(HttpRequest.BodyPublishers.noBody()),
            HttpRequest.newBuilder(URI.create(url + "api/upload?model=tiny")).header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString("x")),
            HttpRequest.newBuilder(URI.create(url + "api/jobs/job-1")).DELETE()};
        for (HttpRequest.Builder b : refused) {
            Reply r = sendBare(b);
            assertEquals(403, r.status(), r.text());
            assertTrue(r.text().contains(TOKEN_HEADER) && r.text().strip().lines().count() == 1, r.text());
        }
        // State changes only by POST or DELETE; a preflight is never granted.
        assertEquals(405, get("api/jobs").status());
        String preflight = raw("OPTIONS", "api/jobs", host(), "Origin: http://evil.example", "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: " + TOKEN_HEADER);
        assertFalse(preflight.toLowerCase(java.util.Locale.ROOT).contains("access-control-allow"), preflight);
        assertTrue(status(preflight) >= 400, preflight);
    }

    /** Finding 2: a Host other than the bound address (DNS rebinding) or a foreign Origin is refused, token or not. */
    @Test
    void foreignHostAndOriginAreRefused() throws Exception {
        int port = URI.create(url).getPort();
        String tok = TOKEN_HEADER + ": " + token;
        assertEquals(403, status(raw("GET", "api/runs", "Host: rebind.evil.example:" + port, tok)));
        assertEquals(403, status(raw("GET", "", "Host: rebind.evil.example:" + port)), "the page too");
        assertEquals(403, status(raw("GET", "api/runs", "Host: 127.0.0.1:" + (port == 1 ? 2 : 1), tok)), "another port");
        assertEquals(403, status(raw("GET", "api/runs", tok)), "no Host at all");
        for (String h : List.of("127.0.0.1", "localhost", "LocalHost", "[::1]")) {
            assertEquals(200, status(raw("GET", "api/runs", "Host: " + h + ":" + port, tok)), h);
        }
        assertEquals(403, status(raw("GET", "api/runs", host(), tok, "Origin: http://evil.example")));
        assertEquals(403, status(raw("GET", "api/runs", host(), tok, "Origin: null")));
        assertEquals(200, status(raw("GET", "api/runs", host(), tok, "Origin: http://127.0.0.1:" + port)));
    }

    /** Finding 3: an upload declaring 46000 x 46000 pixels is refused from its header, before any decoding. */
    @Test
    void hugeImagesAreRefusedBeforeDecoding() throws Exception {
        ByteArrayOutputStream small = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(10, 10, BufferedImage.TYPE_BYTE_GRAY), "png", small);
        // the PNG's IHDR now declares 46000 x 46000, its CRC recomputed; the data stays 10 x 10
        ByteBuffer png = ByteBuffer.wrap(small.toByteArray()).putInt(16, 46000).putInt(20, 46000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png.array(), 12, 17);
        long before = System.nanoTime();
        Reply r = send(HttpRequest.newBuilder(URI.create(url + "api/upload?model=tiny"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(png.putInt(29, (int) crc.getValue()).array())));
        assertEquals(400, r.status(), r.text());
        assertTrue(r.text().contains("46000x46000") && r.text().strip().lines().count() == 1, r.text());
        assertTrue(System.nanoTime() - before < 5e9, "refused at once, not after decoding");
    }

    /**
     * Finding 4: clients that trickle their request are cut off after the read timeout, connections
     * past the cap are closed at once, and none of it keeps the server from answering.
     */
    @Test
    void slowAndSurplusConnectionsCannotBlockTheServer() throws Exception {
        URI u = URI.create(url);
        List<java.net.Socket> slow = new ArrayList<>();
        try {
            // More slow clients than the server has threads: each sends part of a request line and stops.
            for (int i = 0; i < 40; i++) {
                java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort());
                s.getOutputStream().write("GET /api/mod".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            long t0 = System.nanoTime();
            Reply r = send(HttpRequest.newBuilder(URI.create(url + "api/models")).timeout(java.time.Duration.ofSeconds(40)));
            assertEquals(200, r.status());
            for (java.net.Socket s : slow) {
                s.setSoTimeout(30_000);
                int got;
                try {
                    got = s.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    got = -1;
                }
                assertEquals(-1, got, "the server closed the slow connection");
            }
            assertTrue(System.nanoTime() - t0 < 40e9, "cut off within the read timeout, not kept");
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
        // Connections beyond the cap (64) are closed as they come, without waiting for a timeout.
        List<java.net.Socket> many = new ArrayList<>();
        try {
            int closed = 0;
            for (int i = 0; i < 80; i++) {
                many.add(new java.net.Socket(u.getHost(), u.getPort()));
            }
            // the newest are past the cap: look from the end
            for (int i = many.size() - 1; i >= 0; i--) {
                java.net.Socket s = many.get(i);
                s.setSoTimeout(2000);
                try {
                    closed += s.getInputStream().read() == -1 ? 1 : 0;
                } catch (java.net.SocketTimeoutException open) {
                    // still open: within the cap
                } catch (java.net.SocketException reset) {
                    closed++;
                }
                if (closed > 0) {
                    break;
                }
            }
            assertTrue(closed > 0, "80 idle connections: those past the cap are closed");
        } finally {
            for (java.net.Socket s : many) {
                s.close();
            }
        }
    }

    /** Finding 4: event streams are capped per job (4) and in all (8); a closed stream frees its place. */
    @Test
    void eventStreamsAreCapped() throws Exception {
        synchronized (ServeTest.class) {
            Gate g = new Gate(1);
            String a = held(g, "model=tiny&n=1&sampler=ddim&steps=3");
            String b = post("api/jobs", "model=tiny&n=1&sampler=ddim&steps=2").json().get("id").getAsString();
            String c = post("api/jobs", "model=tiny&n=1&sampler=ddim&steps=2").json().get("id").getAsString();
            List<InputStream> open = new ArrayList<>();
            try {
                for (String id : List.of(a, a, a, a, b, b, b, b)) {
                    HttpResponse<InputStream> r = HTTP.send(events(id).build(), HttpResponse.BodyHandlers.ofInputStream());
                    assertEquals(200, r.statusCode());
                    open.add(r.body());
                    assertTrue(new String(r.body().readNBytes(6), StandardCharsets.UTF_8).startsWith("data: "));
                }
                Reply perJob = sendBare(events(a));
                assertEquals(429, perJob.status(), "a fifth stream on one job");
                assertEquals(429, sendBare(events(c)).status(), "a ninth stream in all");
                open.remove(0).close();
                int status = 0;
                for (int i = 0; i < 100 && status != 200; i++) {
                    Thread.sleep(100);
                    HttpResponse<InputStream> r = HTTP.send(events(c).build(), HttpResponse.BodyHandlers.ofInputStream());
                    status = r.statusCode();
                    (status == 200 ? open : new ArrayList<InputStream>()).add(r.body());
                    if (status != 200) {
                        r.body().close();
                    }
                }
                assertEquals(200, status, "a closed stream frees its place (noticed at the next ping)");
            } finally {
                for (InputStream in : open) {
                    in.close();
                }
                delete("api/jobs/" + b);
                delete("api/jobs/" + c);
                g.release.countDown();
            }
            follow(a);
        }
    }

    /**
     * Findings 4 and 8: VAE work waits in the one bounded queue (a manifold counts toward its 16
     * places), and cancelled waiting jobs leave it at once.
     */
    @Test
    void vaeWorkWaitsInTheOneQueueAndCancelledJobsLeaveIt() throws Exception {
        synchronized (ServeTest.class) {
            Gate g = new Gate(1);
            String a = held(g, "model=tiny&n=1&sampler=ddim&steps=3");
            List<String> waiting = new ArrayList<>();
            java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> manifold;
            try {
                manifold = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url + "api/vae/manifold?model=vae2&side=4"))
                        .header(TOKEN_HEADER, token).build(), HttpResponse.BodyHandlers.ofByteArray());
                Thread.sleep(500);
                assertFalse(manifold.isDone(), "the manifold waits for the running draw");
                for (int i = 0; i < 15; i++) {
                    waiting.add(post("api/jobs", "model=tiny&n=1&sampler=ddim&steps=2").json().get("id").getAsString());
                }
                assertEquals(503, post("api/jobs", "model=tiny&n=1&sampler=ddim&steps=2").status(), "15 jobs and the manifold fill the 16 places");
                for (String id : waiting) {
                    assertEquals("cancelled", delete("api/jobs/" + id).json().get("state").getAsString());
                }
                waiting.clear();
                JsonObject next = post("api/jobs", "model=tiny&n=1&sampler=ddim&steps=2").json();
                assertEquals(2, next.get("position").getAsInt(), "cancelled jobs left at once: behind the manifold only");
                waiting.add(next.get("id").getAsString());
            } finally {
                for (String id : waiting) {
                    delete("api/jobs/" + id);
                }
                g.release.countDown();
            }
            HttpResponse<byte[]> m = manifold.get(60, TimeUnit.SECONDS);
            assertEquals(200, m.statusCode());
            JsonObject o = JsonParser.parseString(new String(m.body(), StandardCharsets.UTF_8)).getAsJsonObject();
            assertEquals(4 * 28, dataUrl(o.get("image").getAsString()).getWidth());
            assertEquals("done", follow(a).get(follow(a).size() - 1).get("state").getAsString());
        }
    }

    /** Finding 6: bound to all addresses, the printed address is the bound one and a warning names what is exposed. */
    @Test
    void aHostOtherThanLoopbackIsPrintedAndWarnedAbout() throws Exception {
        assertEquals(null, server.exposure(), "loopback: nothing to warn about");
        try (NDManager m = manager.newSubManager(); WebServer all = new WebServer("0.0.0.0", 0, new ModelCatalog(m), new ServeSampling(),
                List.of(), null, m)) {
            assertTrue(all.url().startsWith("http://0.0.0.0:" + all.port() + "/?token="), all.url());
            String w = all.exposure();
            assertTrue(w.contains("every network") && w.contains("CPU") && w.contains("run folders") && w.contains("--host 127.0.0.1"), w);
            assertFalse(all.url().equals(server.url().replace("127.0.0.1:" + server.port(), "0.0.0.0:" + all.port())),
                    "each server has its own token");
        }
    }

    /** Finding 7: no page may frame this one. */
    @Test
    void thePageCannotBeFramed() throws Exception {
        for (String path : List.of("", "api/models")) {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).header(TOKEN_HEADER, token).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(""), path);
            assertTrue(r.headers().firstValue("Content-Security-Policy").orElse("").contains("frame-ancestors 'none'"), path);
        }
    }

    /** Finding 8: unguessable job ids, no Java internals in a 400, HEAD answered, no symlinks followed out of a run. */
    @Test
    void idsErrorsHeadAndSymlinks() throws Exception {
        String a = post("api/jobs", "model=tiny&n=1&sampler=ddim&steps=1").json().get("id").getAsString();
        String b = post("api/jobs", "model=tiny&n=1&sampler=ddim&steps=1").json().get("id").getAsString();
        assertTrue(a.matches("job-[0-9a-f]{32}") && b.matches("job-[0-9a-f]{32}") && !a.equals(b), a + " " + b);
        follow(a);
        follow(b);

        // A bad %-escape in a form body reaches the server's parser (one in the address is refused
        // by the JDK's own server before any handler sees it).
        String badForm = "model=tiny&n=%G1";
        String answer = rawWithBody("POST", "api/jobs", badForm, host(), TOKEN_HEADER + ": " + token,
                "Content-Type: application/x-www-form-urlencoded");
        String text = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        assertEquals(400, status(answer), answer);
        assertFalse(text.contains("URLDecoder") || text.contains("java.") || text.contains("Exception"), text);
        assertTrue(text.contains("%-encoded") && text.strip().lines().count() == 1, text);

        java.util.logging.Logger jdk = java.util.logging.Logger.getLogger("com.sun.net.httpserver");
        List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord rec) {
                if (rec.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(rec);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jdk.addHandler(h);
        try {
            int pageLength = get("").body().length;
            String head = raw("HEAD", "", host());
            assertEquals(200, status(head), head);
            assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("content-length: " + pageLength), head);
            assertTrue(head.endsWith("\r\n\r\n"), "no body: " + head);
            assertEquals(200, status(raw("HEAD", "api/models", host(), TOKEN_HEADER + ": " + token)));
            assertEquals(200, status(raw("HEAD", "api/jobs/" + a + "/events", host(), TOKEN_HEADER + ": " + token)));
        } finally {
            jdk.removeHandler(h);
        }
        assertTrue(warnings.isEmpty(), "the JDK server logged " + warnings.stream().map(java.util.logging.LogRecord::getMessage).toList());

        // A link under a run folder to a file outside it is not served, nor listed.
        Path outside = Files.createTempFile("serve-outside", ".png");
        ImageIO.write(new BufferedImage(3, 3, BufferedImage.TYPE_BYTE_GRAY), "png", outside.toFile());
        Path link = runs.resolve("r1/samples/step-0000099.png");
        Files.createSymbolicLink(link, outside);
        try {
            assertEquals(404, get("api/runs/image?run=r1&name=step-0000099.png").status());
            assertFalse(get("api/runs/samples?run=r1").text().contains("step-0000099"));
        } finally {
            Files.delete(link);
            Files.delete(outside);
        }
    }

    // ---- issue 49: the page people would choose ----

    /** The defaults a draw resolves to, checked as a submit checks; bf16 (always refused) is not offered. */
    @Test
    void resolveShowsTheDefaultsAndNoOptionThatIsAlwaysRefused() throws Exception {
        // the model's recommended sampler (here the bundled models'), and DDIM with the bundled eta 1 (a model with no file)
        JsonObject d = get("api/resolve?model=tiny").json();
        assertTrue(d.get("description").getAsString().startsWith("SDE-DPM-Solver++(2M), 16 steps"), d.toString());
        assertEquals(16, d.get("calls").getAsInt());
        assertEquals(64, d.get("n").getAsInt(), "sample's default; the page asks for 16");
        JsonObject ddim = get("api/resolve?model=tiny&sampler=ddim&steps=5&n=16").json();
        assertTrue(ddim.get("description").getAsString().startsWith("DDIM, eta 1.0"), ddim.toString());
        assertEquals(5, ddim.get("calls").getAsInt());
        assertEquals("./diffusion4j sample --run tiny --sampler ddim --steps 5 --n 16 --out samples.png", ddim.get("command").getAsString());
        for (String bad : List.of("model=tiny&steps=0", "model=tiny&precision=bf16", "model=tiny&vary=seed&values=1,2")) {
            Reply r = get("api/resolve?" + bad);
            assertEquals(400, r.status(), bad + ": " + r.text());
            assertEquals(1, r.text().strip().lines().count(), r.text());
        }
        JsonArray options = get("api/options").json().getAsJsonArray("options");
        for (var o : options) {
            JsonObject opt = o.getAsJsonObject();
            if (opt.get("name").getAsString().equals("precision")) {
                assertEquals("[\"fp32\",\"fp16\"]", opt.get("choices").toString());
                assertFalse(opt.get("description").getAsString().contains("bf16"), opt.toString());
            }
        }
    }

    /** The queue as the page lists it: newest first, places, an ETA once the model has drawn, and Cancel. */
    @Test
    void theJobListShowsPlacesEtasAndCancels() throws Exception {
        synchronized (ServeTest.class) {
            // one finished job teaches the server this model's pace
            List<JsonObject> first = follow(post("api/jobs", "model=tiny&n=2&sampler=ddim&steps=4").json().get("id").getAsString());
            assertEquals("done", first.get(first.size() - 1).get("state").getAsString());
            JsonObject r = get("api/resolve?model=tiny&n=2&sampler=ddim&steps=8").json();
            assertTrue(r.get("estimate").getAsDouble() > 0, r.toString());
            assertEquals(0, r.get("wait").getAsDouble(), 1e-9, "nothing runs");

            Gate g = new Gate(1);
            String a = held(g, "model=tiny&n=2&sampler=ddim&steps=6");
            String b = post("api/jobs", "model=tiny&n=2&sampler=ddim&steps=5").json().get("id").getAsString();
            String c = post("api/jobs", "model=tiny&n=2&sampler=ddim&steps=5").json().get("id").getAsString();
            JsonArray jobs = get("api/queue").json().getAsJsonArray("jobs");
            assertEquals(c, jobs.get(0).getAsJsonObject().get("id").getAsString(), "newest first");
            JsonObject jc = jobs.get(0).getAsJsonObject();
            JsonObject jb = jobs.get(1).getAsJsonObject();
            assertEquals(2, jc.get("position").getAsInt());
            assertEquals(1, jb.get("position").getAsInt());
            assertTrue(jc.has("estimate") && jb.has("startsIn") && jc.has("startsIn"), jobs.toString());
            assertTrue(jc.get("startsIn").getAsDouble() >= jb.get("startsIn").getAsDouble() + jb.get("estimate").getAsDouble() - 0.15,
                    jobs.toString());
            assertEquals("running", jobs.get(2).getAsJsonObject().get("state").getAsString());
            assertTrue(get("api/resolve?model=tiny").json().get("wait").getAsDouble() > 0, "a draw now waits for three");

            assertEquals("cancelled", delete("api/jobs/" + b).json().get("state").getAsString());
            JsonArray after = get("api/queue").json().getAsJsonArray("jobs");
            assertEquals(1, after.get(0).getAsJsonObject().get("position").getAsInt(), "c moved up");
            assertEquals("cancelled", after.get(1).getAsJsonObject().get("state").getAsString());
            g.release.countDown();
            assertEquals("done", last(follow(c)).get("state").getAsString());
            assertEquals("done", state(a));
        }
    }

    static JsonObject last(List<JsonObject> events) {
        return events.get(events.size() - 1);
    }

    /** A sweep: the same seed with one setting varied, drawn as one grid; each row is the library's draw. */
    @Test
    void aSweepDrawsOneRowPerValueWithTheSameSeed() throws Exception {
        JsonObject job = post("api/jobs", "model=tiny&n=2&sampler=ddim&eta=0&seed=3&vary=steps&values=2,3").json();
        assertEquals("[\"steps = 2\",\"steps = 3\"]", job.get("rows").toString());
        assertEquals(5, job.get("count").getAsInt(), "2 + 3 network calls");
        assertEquals(2, job.get("command").getAsString().lines().count(), "one command per row");
        String id = job.get("id").getAsString();
        assertEquals("done", last(follow(id)).get("state").getAsString());
        BufferedImage grid = image(get("api/jobs/" + id + "/grid.png").body);
        assertEquals(2 * (56 + 4), grid.getHeight(), "two rows of 56 px samples, each padded");
        assertTrue(grid.getWidth() > 2 * 58 + 2 + 30, "a label column: " + grid.getWidth());
        byte[] npy = get("api/jobs/" + id + "/samples.npy").body;
        assertTrue(new String(npy, 10, 118, StandardCharsets.US_ASCII).contains("'shape': (4, 28, 28)"));
        float[] served = new float[4 * 28 * 28];
        ByteBuffer.wrap(npy, 128, 4 * served.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(served);
        float[] direct = new float[served.length];
        synchronized (ServeTest.class) {
            for (int steps = 2; steps <= 3; steps++) {
                try (NDManager m = manager.newSubManager()) {
                    NDArray x = tiny.sampling(2).sampler(new DdimSampler(tiny.spec().schedule(), steps, 0, true)).seed(3).manager(m).draw();
                    System.arraycopy(Pictures.toDisplay(tiny.spec(), x), 0, direct, (steps - 2) * 2 * 784, 2 * 784);
                }
            }
        }
        assertArrayEquals(direct, served, 1e-6f, "row k is the library's draw with the k-th value, same seed");
        for (String bad : List.of("vary=seed&values=1,2", "vary=steps&values=4", "vary=steps", "values=1,2", "vary=steps&values=1,2&n=40",
                "vary=colour&values=1,2", "vary=steps&values=1,2,3,4,5,6,7,8,9", "vary=sampler&values=ddim,nope", "vary=guidance&values=0,1")) {
            Reply r = post("api/jobs", "model=tiny&n=2&" + bad);
            assertEquals(400, r.status(), bad + ": " + r.text());
            assertEquals(1, r.text().strip().lines().count(), r.text());
        }
    }

    /** Every frame is kept: the grid's or one sample's, and an animated GIF of them. */
    @Test
    void theTrajectoryKeepsEveryFrameAndMakesAGif() throws Exception {
        String id = post("api/jobs", "model=tiny&n=4&sampler=ddim&steps=6&seed=2").json().get("id").getAsString();
        assertEquals("done", last(follow(id)).get("state").getAsString());
        JsonObject all = get("api/jobs/" + id + "/frames").json();
        JsonArray frames = all.getAsJsonArray("frames");
        assertEquals(6, frames.size(), "one frame per step for 6 steps");
        assertEquals(6, frames.get(5).getAsJsonObject().get("step").getAsInt());
        assertEquals(118, dataUrl(frames.get(0).getAsJsonObject().get("xt").getAsString()).getWidth(), "the grid of four");
        JsonArray one = get("api/jobs/" + id + "/frames?sample=3").json().getAsJsonArray("frames");
        BufferedImage x0 = dataUrl(one.get(5).getAsJsonObject().get("x0Hat").getAsString());
        assertEquals(112, x0.getWidth(), "one sample drawn 4x");
        // sample 3 of the last grid frame, cell (1, 1) at 2x with padding 2, is sample 3 alone at 4x
        BufferedImage g = dataUrl(frames.get(5).getAsJsonObject().get("x0Hat").getAsString());
        for (int i = 0; i < 784; i += 53) {
            int px = i % 28;
            int py = i / 28;
            assertEquals(g.getRaster().getSample(60 + 2 * px, 60 + 2 * py, 0), x0.getRaster().getSample(4 * px, 4 * py, 0));
        }
        Reply gif = get("api/jobs/" + id + "/trajectory.gif?sample=3");
        assertEquals(200, gif.status(), gif.text());
        javax.imageio.ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(gif.body())));
        assertEquals(6, reader.getNumImages(true));
        assertEquals(112 + 4 + 112, reader.read(0).getWidth(), "x_t beside x0Hat");
        assertEquals(400, get("api/jobs/" + id + "/frames?sample=4").status());
        assertEquals(400, get("api/jobs/" + id + "/trajectory.gif?sample=-2").status());
    }

    /** The forward view's eps, the network's predicted eps and x0Hat at t, recomputed here. */
    @Test
    void forwardShowsNoiseAndTheNetworksPrediction() throws Exception {
        int t = 30;
        JsonObject f = get("api/forward?model=tiny&index=3&t=" + t + "&seed=2&predict=true").json();
        float[] x0 = Mnist.test().row(3);
        float[] e = new float[784];
        Random g = new Random(2);
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) g.nextGaussian();
        }
        float[] epsHat;
        float[] x0Hat;
        synchronized (ServeTest.class) {
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(x0, new Shape(1, 1, 28, 28)).mul(2).sub(1);
                NDArray tt = m.create(new int[] {t});
                NDArray xt = tiny.diffusion().qSample(x, tt, m.create(e, new Shape(1, 1, 28, 28)));
                NDArray p = tiny.denoiser().predictEps(xt, tt, false);
                epsHat = p.toFloatArray();
                x0Hat = tiny.diffusion().x0Hat(xt, tt, p).clip(-1, 1).toFloatArray();
            }
        }
        BufferedImage eps = dataUrl(f.get("eps").getAsString());
        BufferedImage eh = dataUrl(f.get("epsHat").getAsString());
        BufferedImage xh = dataUrl(f.get("x0Hat").getAsString());
        double mse = 0;
        for (int i = 0; i < 784; i++) {
            int px = (i % 28) * 7 + 3;
            int py = (i / 28) * 7 + 3;
            assertEquals(shade((e[i] / 3 + 1) / 2), eps.getRaster().getSample(px, py, 0), 1, "eps at " + i);
            assertEquals(shade((epsHat[i] / 3 + 1) / 2), eh.getRaster().getSample(px, py, 0), 1, "epsHat at " + i);
            assertEquals(shade((x0Hat[i] + 1) / 2), xh.getRaster().getSample(px, py, 0), 1, "x0Hat at " + i);
            mse += (e[i] - epsHat[i]) * (e[i] - epsHat[i]) / 784.0;
        }
        assertEquals(mse, f.get("epsMse").getAsDouble(), 1e-4);
        assertFalse(get("api/forward?model=tiny&index=3&t=0&predict=true").json().has("epsHat"), "no prediction at t = 0");
        assertFalse(get("api/forward?model=tiny&index=3&t=5").json().has("epsHat"), "only when asked");
    }

    static int shade(double v) {
        return (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
    }

    /** Runs: lr, gradient norm and ms per step from metrics.jsonl; "draw from this checkpoint" adds the run's model. */
    @Test
    void runsSendEveryMetricAndTheirCheckpointsCanBeDrawnFrom() throws Exception {
        Path r3 = Files.createDirectories(runs.resolve("r3"));
        Files.writeString(r3.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":0.5,\"lr\":0.001,\"gradNorm\":3.5,\"msPerStep\":40.5}\n"
                + "{\"step\":2,\"loss\":0.4,\"lr\":0.002,\"gradNorm\":NaN,\"msPerStep\":41}\n{\"step\":3,\"lo");
        JsonObject m = get("api/runs/metrics?run=r3").json();
        assertEquals("[1.0,2.0]", m.get("step").toString(), "the torn last line is left out");
        assertEquals("[0.001,0.002]", m.get("lr").toString());
        assertEquals("[3.5,null]", m.get("gradNorm").toString(), "a skipped step's norm is null");
        assertEquals("[40.5,41.0]", m.get("msPerStep").toString());
        assertFalse(get("api/runs/metrics?run=r1").json().has("lr"), "a log without lr sends none");

        Path bundled = BundledModels.directory().resolve(BundledModels.VAE_IWAE);
        assumeTrue(Files.isRegularFile(bundled), "bundled VAE present");
        assertEquals(400, post("api/runs/model", "run=r3").status(), "no checkpoint yet");
        JsonArray list = get("api/runs").json().getAsJsonArray("runs");
        for (var x : list) {
            if (x.getAsJsonObject().get("id").getAsString().equals("r3")) {
                assertFalse(x.getAsJsonObject().get("checkpoint").getAsBoolean());
            }
        }
        try (NDManager tmp = manager.newSubManager()) {
            org.diffusion4j.train.Checkpoint.read(bundled, tmp).write(r3.resolve("checkpoint.bin"));
        }
        JsonObject added = post("api/runs/model", "run=r3").json();
        assertEquals("vae", added.get("kind").getAsString());
        String id = added.get("id").getAsString();
        assertEquals(id, post("api/runs/model", "run=r3").json().get("id").getAsString(), "added once per checkpoint");
        assertTrue(get("api/models").text().contains("\"" + id + "\""), "the page's models include it");
        assertEquals(405, get("api/runs/model?run=r3").status(), "adding is a POST");
    }

    /** The real page in headless Chromium: loaded with auto=1 it draws, and the grid lands in the DOM. */
    @Test
    void thePageDrawsAGridInHeadlessChromium() throws Exception {
        Chromium.require();
        String dom;
        synchronized (ServeTest.class) {
            // the address serve prints, with the token, and the draw settings after it
            dom = Chromium.dumpDom(server.url() + "&view=draw&auto=1&model=tiny&n=4&sampler=ddim&steps=3", 120_000);
        }
        assertTrue(dom.contains("data-draw-state=\"done\""), "the page saw its job end: " + dom.substring(0, Math.min(dom.length(), 2000)));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("id=\"draw-grid\"[^>]*src=\"(data:image/png;base64,[^\"]+)\"|"
                + "src=\"(data:image/png;base64,[^\"]+)\"[^>]*id=\"draw-grid\"").matcher(dom);
        assertTrue(m.find(), "an <img id=draw-grid> with a data URL");
        BufferedImage grid = dataUrl(m.group(1) != null ? m.group(1) : m.group(2));
        assertEquals(118, grid.getWidth(), "four 28x28 samples, 2 per row, drawn 2x");
        int[] seen = new int[256];
        for (int y = 0; y < grid.getHeight(); y++) {
            for (int x = 0; x < grid.getWidth(); x++) {
                seen[grid.getRaster().getSample(x, y, 0)]++;
            }
        }
        long shades = java.util.Arrays.stream(seen).filter(c -> c > 0).count();
        assertTrue(shades > 10, "not blank: " + shades + " grey levels");
        // An unconditional model: no class picker nor guidance; the command line of the draw is shown.
        for (String name : List.of("class", "guidance")) {
            assertTrue(java.util.regex.Pattern.compile("<label[^>]*data-conditional=\"\"[^>]*hidden=\"\"[^>]*>" + name + " ").matcher(dom).find()
                    || java.util.regex.Pattern.compile("<label[^>]*hidden=\"\"[^>]*data-conditional=\"\"[^>]*>" + name + " ").matcher(dom).find(),
                    name + " is hidden");
        }
        assertTrue(dom.contains("./diffusion4j sample --run tiny --n 4 --sampler ddim --steps 3"), "the command is shown");
        // issue 49's page: the resolved settings, the job in the list, every frame to scrub, the history, the address
        assertTrue(element(dom, "draw-resolved").contains("will draw 4: DDIM, eta 1.0, 3 network calls"), element(dom, "draw-resolved"));
        assertTrue(element(dom, "queue").contains("data-state=\"done\""), element(dom, "queue"));
        assertTrue(element(dom, "scrub").contains("max=\"2\"") && element(dom, "scrub-label").contains("frame 3 of 3"), element(dom, "scrub"));
        assertTrue(element(dom, "history").contains("class=\"hist\""), "the draw is in the history");
        assertFalse(dom.contains(">bf16<"), "bf16, always refused, is not offered");
        java.util.regex.Matcher link = java.util.regex.Pattern.compile("id=\"draw-link\" href=\"([^\"]+)\"").matcher(dom);
        assertTrue(link.find(), "a link to the settings");
        assertTrue(link.group(1).contains("steps=3") && link.group(1).contains("sampler=ddim") && !link.group(1).contains("token"), link.group(1));
    }

    /** The text of the element with this id, up to its end tag (enough for the page's flat elements). */
    static String element(String dom, String id) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<(\\w+)[^>]*id=\"" + id + "\"[^>]*>").matcher(dom);
        if (!m.find()) {
            return "";
        }
        if (m.group(1).equals("img") || m.group(1).equals("input")) {
            return m.group();
        }
        int end = dom.indexOf("</" + m.group(1) + ">", m.end());
        return dom.substring(m.start(), end < 0 ? dom.length() : end);
    }

    /** The page's other views in headless Chromium: a sweep, the forward view's prediction, runs overlaid, the token prompt. */
    @Test
    void theNewViewsWorkInHeadlessChromium() throws Exception {
        Chromium.require();
        String sweep;
        synchronized (ServeTest.class) {
            sweep = Chromium.dumpDom(server.url() + "&view=draw&auto=1&model=tiny&n=2&sampler=ddim&vary=steps&values=2,3", 120_000);
        }
        assertTrue(sweep.contains("data-draw-state=\"done\""), element(sweep, "draw-status"));
        assertTrue(element(sweep, "draw-status").contains("2 rows of 2 samples"), element(sweep, "draw-status"));
        assertTrue(element(sweep, "draw-command").contains("--steps 2") && element(sweep, "draw-command").contains("--steps 3"));

        String fwd = Chromium.dumpDom(server.url() + "&view=forward&model=tiny&index=0&t=30", 60_000);
        assertTrue(element(fwd, "fwd-epshat").contains("src=\"data:image/png"), "the network's eps is shown");
        assertTrue(element(fwd, "fwd-x0hat").contains("src=\"data:image/png"), "and x0Hat");
        assertTrue(element(fwd, "fwd-mse").contains("mean (eps - eps_theta)^2 = "), element(fwd, "fwd-mse"));
        // real ticks: round values ("1e4", "0.01"), never a fractional power ("1e-4.4")
        java.util.regex.Matcher axis = java.util.regex.Pattern.compile("id=\"fwd-curve\"[^>]*aria-label=\"[^\"]*right axis, log scale: ([^\";]+)")
                .matcher(fwd);
        assertTrue(axis.find(), element(fwd, "fwd-curve"));
        List<String> ticks = List.of(axis.group(1).trim().split(" "));
        assertTrue(ticks.size() >= 3 && ticks.contains("1") && ticks.contains("100"), ticks.toString());
        for (String tick : ticks) {
            assertTrue(tick.matches("[125](0*|e-?\\d+)|0\\.0*[125]"), tick + " in " + ticks);
        }

        Path r4 = Files.createDirectories(runs.resolve("r4"));
        Files.writeString(r4.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":0.5,\"lr\":0.001,\"gradNorm\":3,\"msPerStep\":40}\n"
                + "{\"step\":2,\"loss\":0.3,\"lr\":0.001,\"gradNorm\":2,\"msPerStep\":42}\n");
        String rs = Chromium.dumpDom(server.url() + "&view=runs&run=r4&runs=r1,r4", 60_000);
        assertTrue(element(rs, "runs-status").contains("r1: ") && element(rs, "runs-status").contains("r4: 2 steps logged"),
                element(rs, "runs-status"));
        assertTrue(java.util.regex.Pattern.compile("<figure>\\s*<figcaption>learning rate").matcher(rs).find(), "the lr plot is shown");
        assertTrue(java.util.regex.Pattern.compile("id=\"runs-draw\"[^>]*hidden").matcher(rs).find(), "no checkpoint, no draw button");

        // the token flow: without it the page asks for the printed address instead of failing quietly
        String bare = Chromium.dumpDom(url + "?view=draw", 30_000);
        assertFalse(java.util.regex.Pattern.compile("id=\"token-box\"[^>]*hidden").matcher(bare).find(), "the token prompt shows");
        assertTrue(element(bare, "error").contains("needs the address"), element(bare, "error"));
    }

    /** The bundled model through the server, at two DDIM steps. */
    @Test
    void theBundledModelDraws() throws Exception {
        Path bundled = BundledModels.directory().resolve(BundledModels.DDPM_MNIST);
        assumeTrue(Files.isRegularFile(bundled), "bundled DDPM present");
        try (NDManager m = manager.newSubManager()) {
            ModelCatalog c = new ModelCatalog(m);
            String id = c.add(bundled, true);
            try (WebServer s = new WebServer("127.0.0.1", 0, c, new ServeSampling(), List.of(), null, m)) {
                try {
                    use(s);
                    JsonObject job = post("api/jobs", "model=" + id + "&n=2&steps=2").json();
                    assertTrue(job.get("description").getAsString().startsWith("SDE-DPM-Solver++(2M), 2 steps"), job.toString());
                    List<JsonObject> ev = follow(job.get("id").getAsString());
                    JsonObject end = ev.get(ev.size() - 1);
                    assertEquals("done", end.get("state").getAsString(), end.toString());
                    assertEquals(2, end.get("count").getAsInt());
                } finally {
                    use(server);
                }
            }
        }
    }
}
