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
import org.diffusion4j.Runtime;
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
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static NDManager manager;
    private static Ddpm tiny;
    private static Vae vae;
    private static WebServer server;
    private static String url;
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
                public NDArray denoise(Denoiser model, NDArray xT, StepListener listener) {
                    return inner.denoise(model, xT, (i, count, t, xt, x0) -> {
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
        Runtime.init();
        Runtime.setThreads(1);
        manager = Runtime.newManager();
        DdpmSpec spec = DdpmSpec.unet(UNetConfig.preset("tiny", 1), 1, 28, 28, NoiseSchedule.linear(T, 1e-4, 0.02),
                GaussianDiffusion.LossType.L2);
        tiny = Ddpm.create(spec, manager, 1);
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
        url = server.url();
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

    private static Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.body());
    }

    /** Follows a job's event stream to its end; returns every event. */
    static List<JsonObject> follow(String id) throws IOException, InterruptedException {
        HttpResponse<java.util.stream.Stream<String>> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "api/jobs/" + id + "/events")).build(),
                HttpResponse.BodyHandlers.ofLines());
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
        assertTrue(get("app.js").text().contains("EventSource"));
        assertEquals(200, get("style.css").status());
        assertEquals(404, get("nothing-here").status());
        assertEquals(405, delete("api/models").status());

        JsonObject models = get("api/models").json();
        JsonObject d = models.getAsJsonArray("ddpm").get(0).getAsJsonObject();
        assertEquals("tiny", d.get("id").getAsString());
        assertEquals(T, d.get("T").getAsInt());
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
        for (SamplerKind k : SamplerKind.values()) {
            kinds.add(k.toString());
        }
        assertEquals(kinds, choices);
    }

    /** A draw streams frames and ends with the same samples the library draws for the same seed. */
    @Test
    void drawStreamsFramesAndGivesTheLibrarysSamples() throws Exception {
        JsonObject job = post("api/jobs", "model=tiny&n=4&sampler=ddim&steps=6&eta=0&seed=7").json();
        String id = job.get("id").getAsString();
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
                NDArray x = tiny.sample(4, 4, new DdimSampler(tiny.spec().schedule(), 6, 0, true), 7, StepListener.NONE, m);
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
            gate = g;
            String a = post("api/jobs", "model=tiny&n=2&sampler=ddpm").json().get("id").getAsString();
            gate = null;
            assertTrue(g.reached.await(60, TimeUnit.SECONDS), "job a reached step 3");
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

    /** A client that closes the event stream cancels its job. */
    @Test
    void aClientThatGoesAwayCancelsItsJob() throws Exception {
        synchronized (ServeTest.class) {
            Gate g = new Gate(2);
            gate = g;
            String a = post("api/jobs", "model=tiny&n=1&sampler=ddpm").json().get("id").getAsString();
            gate = null;
            assertTrue(g.reached.await(60, TimeUnit.SECONDS));
            HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "api/jobs/" + a + "/events")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = r.body();
            assertTrue(new String(in.readNBytes(6), StandardCharsets.UTF_8).startsWith("data: "));
            in.close();
            // The server notices at its next write (a ping within 2 s) and asks the job to stop.
            for (int i = 0; i < 300 && !get("api/jobs/" + a).json().has("cancelling"); i++) {
                Thread.sleep(50);
            }
            g.release.countDown();
            for (int i = 0; i < 600 && !state(a).equals("cancelled"); i++) {
                Thread.sleep(50);
            }
            JsonObject end = get("api/jobs/" + a).json();
            assertEquals("cancelled", end.get("state").getAsString(), end.toString());
            assertEquals(2, end.get("step").getAsInt());
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
        assertEquals(3, get("api/runs/samples?run=r1").json().getAsJsonArray("samples").size());
        Files.createDirectories(runs.resolve("r2"));
        Files.writeString(runs.resolve("r2").resolve("metrics.jsonl"), "");
        assertEquals(2, get("api/runs").json().getAsJsonArray("runs").size(), "a new run folder appears");
    }

    /** The real page in headless Chromium: loaded with auto=1 it draws, and the grid lands in the DOM. */
    @Test
    void thePageDrawsAGridInHeadlessChromium() throws Exception {
        Chromium.require();
        String dom;
        synchronized (ServeTest.class) {
            dom = Chromium.dumpDom(url + "?view=draw&auto=1&model=tiny&n=4&sampler=ddim&steps=3", 120_000);
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
                String before = url;
                url = s.url();
                try {
                    JsonObject job = post("api/jobs", "model=" + id + "&n=2&steps=2").json();
                    assertTrue(job.get("description").getAsString().startsWith("SDE-DPM-Solver++(2M), 2 steps"), job.toString());
                    List<JsonObject> ev = follow(job.get("id").getAsString());
                    JsonObject end = ev.get(ev.size() - 1);
                    assertEquals("done", end.get("state").getAsString(), end.toString());
                    assertEquals(2, end.get("count").getAsInt());
                } finally {
                    url = before;
                }
            }
        }
    }
}
