package org.diffusion4j.cli.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One Draw request as it waits, runs and ends; its state changes wake the streams that follow it.
 * The latest frame (x_t and x0Hat as PNG data URLs) is kept, with a version so each stream sends
 * it once.
 */
public final class Job {
    public enum State {
        QUEUED, RUNNING, DONE, FAILED, CANCELLED;

        boolean terminal() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }
    }

    /** Thrown by the step listener of a cancelled job, to leave the sampler at once. */
    static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super("cancelled", null, false, false);
        }
    }

    private final String id;
    private final String model;
    private final String description;
    private final String command;
    private final int n;
    private volatile boolean cancelRequested;
    private State state = State.QUEUED;
    private int position;
    private int step;
    private int count;
    private int t;
    private long started;
    private double seconds;
    private String error;
    private String xt;
    private String x0Hat;
    private int frame;
    private String grid;
    private byte[] gridPng;
    private byte[] npy;
    private int version;
    private int streams;
    /** Seconds the whole job should take (from the model's speed in earlier jobs); NaN when unknown. */
    private double estimate = Double.NaN;
    /** A sweep's row labels (one per value of the varied setting), or null for a single draw. */
    private List<String> rows;
    /** Every frame of the denoising (images only), for the trajectory scrubber and its GIF. */
    private final List<Frame> frames = new ArrayList<>();
    /** One sample's shape [C, H, W] in the frames. */
    private long[] sampleShape;

    /**
     * One frame of the denoising: x_t and x0Hat of every sample after {@code step} network calls,
     * in display units quantised to bytes (a 16-sample frame of 28 x 28 digits is 25 KB).
     */
    record Frame(int step, int t, byte[] xt, byte[] x0Hat) {}

    /** {@code command}: the equivalent './diffusion4j sample ...' line, or null. */
    Job(String id, String model, String description, String command, int n, int count) {
        this.id = id;
        this.model = model;
        this.description = description;
        this.command = command;
        this.n = n;
        this.count = count;
    }

    public String id() {
        return id;
    }

    String model() {
        return model;
    }

    int n() {
        return n;
    }

    synchronized Job estimate(double seconds) {
        estimate = seconds;
        return this;
    }

    synchronized Job rows(List<String> labels) {
        rows = List.copyOf(labels);
        return this;
    }

    /** Keeps a frame: {@code xt} and {@code x0Hat} in [0, 1], n samples of {@code shape} [C, H, W]. */
    synchronized void keepFrame(int done, int timestep, float[] xt, float[] x0Hat, long[] shape) {
        sampleShape = shape;
        frames.add(new Frame(done, timestep, bytes(xt), bytes(x0Hat)));
    }

    private static byte[] bytes(float[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) Math.round(Math.max(0, Math.min(1, v[i])) * 255);
        }
        return b;
    }

    synchronized List<Frame> frames() {
        return List.copyOf(frames);
    }

    synchronized long[] sampleShape() {
        return sampleShape;
    }

    /** Seconds left: from the pace so far once a step is done, else the estimate; NaN when unknown. */
    synchronized double remaining() {
        if (state.terminal()) {
            return 0;
        }
        if (state == State.RUNNING && step > 0) {
            return (count - step) * elapsed() / step;
        }
        return state == State.RUNNING ? estimate - elapsed() : estimate;
    }

    synchronized double seconds() {
        return seconds;
    }

    /** Asks the job to stop: a queued job never runs, a running one stops at its next step. */
    public void cancel() {
        cancelRequested = true;
        synchronized (this) {
            if (state == State.QUEUED) {
                state = State.CANCELLED;
                changed();
            }
        }
    }

    public boolean cancelRequested() {
        return cancelRequested;
    }

    /** The step listener's check: leaves the sampler when the job was cancelled. */
    void checkCancelled() {
        if (cancelRequested) {
            throw new Cancelled();
        }
    }

    synchronized State state() {
        return state;
    }

    synchronized int stepsDone() {
        return step;
    }

    synchronized void queuedAt(int place) {
        if (state == State.QUEUED && place != position) {
            position = place;
            changed();
        }
    }

    /** Starts running unless cancelled meanwhile; returns whether it did. */
    synchronized boolean start() {
        if (state != State.QUEUED || cancelRequested) {
            state = State.CANCELLED;
            changed();
            return false;
        }
        state = State.RUNNING;
        started = System.nanoTime();
        changed();
        return true;
    }

    synchronized void progress(int done, int total, int timestep, String xtUrl, String x0Url) {
        step = done;
        count = total;
        t = timestep;
        seconds = elapsed();
        if (xtUrl != null) {
            xt = xtUrl;
            x0Hat = x0Url;
            frame++;
        }
        changed();
    }

    synchronized void finish(String gridUrl, byte[] png, byte[] samples) {
        grid = gridUrl;
        gridPng = png;
        npy = samples;
        end(State.DONE, null);
    }

    synchronized void end(State s, String reason) {
        state = s;
        error = reason;
        seconds = started == 0 ? 0 : elapsed();
        changed();
    }

    private double elapsed() {
        return (System.nanoTime() - started) / 1e9;
    }

    private void changed() {
        version++;
        notifyAll();
    }

    /** Counts one more event stream following this job, unless {@code max} already do; returns whether it did. */
    synchronized boolean addStream(int max) {
        if (streams >= max) {
            return false;
        }
        streams++;
        return true;
    }

    synchronized void removeStream() {
        streams--;
    }

    synchronized byte[] gridPng() {
        return gridPng;
    }

    synchronized byte[] npy() {
        return npy;
    }

    /** A state as a stream sends it. */
    record Snapshot(int version, int frame, boolean terminal, JsonObject json) {}

    /**
     * Waits up to {@code millis} for a version after {@code seen}, then describes the job; the
     * frame's pictures are included when {@code lastFrame} is older than the job's.
     */
    synchronized Snapshot await(int seen, int lastFrame, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        for (long left = millis; version == seen && left > 0; left = end - System.currentTimeMillis()) {
            wait(left);
        }
        JsonObject o = describe();
        if (frame != lastFrame && xt != null) {
            o.addProperty("xt", xt);
            o.addProperty("x0Hat", x0Hat);
        }
        if (state == State.DONE) {
            o.addProperty("grid", grid);
        }
        return new Snapshot(version, frame, state.terminal(), o);
    }

    synchronized JsonObject describe() {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("model", model);
        o.addProperty("state", state.name().toLowerCase(java.util.Locale.ROOT));
        if (state == State.QUEUED) {
            o.addProperty("position", position);
        }
        if (cancelRequested && !state.terminal()) {
            o.addProperty("cancelling", true);
        }
        o.addProperty("description", description);
        if (command != null) {
            o.addProperty("command", command);
        }
        o.addProperty("n", n);
        o.addProperty("step", step);
        o.addProperty("count", count);
        o.addProperty("t", t);
        o.addProperty("seconds", Math.round(seconds * 100) / 100.0);
        if (error != null) {
            o.addProperty("error", error);
        }
        if (Double.isFinite(estimate)) {
            o.addProperty("estimate", Math.round(estimate * 10) / 10.0);
        }
        double left = remaining();
        if (state == State.RUNNING && Double.isFinite(left)) {
            o.addProperty("remaining", Math.max(0, Math.round(left * 10) / 10.0));
        }
        if (rows != null) {
            JsonArray a = new JsonArray();
            rows.forEach(a::add);
            o.add("rows", a);
        }
        o.addProperty("frames", frames.size());
        if (state == State.DONE) {
            o.addProperty("gridUrl", "/api/jobs/" + id + "/grid.png");
            o.addProperty("npyUrl", "/api/jobs/" + id + "/samples.npy");
        }
        return o;
    }
}
