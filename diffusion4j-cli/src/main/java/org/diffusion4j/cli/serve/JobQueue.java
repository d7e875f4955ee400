package org.diffusion4j.cli.serve;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.diffusion4j.UserException;

/**
 * Runs all generation work (Draw jobs and the VAE's samples, decodings and manifolds) one at a
 * time, in order of arrival, on one worker thread. One at a time for all models, not per model:
 * every sampler draws its noise from PyTorch's one global generator (seeded per batch), so two
 * runs side by side would change each other's samples, and on a laptop's cores they would only
 * share the same CPU. At most {@link #MAX_WAITING} wait; a cancelled waiting job leaves the line at
 * once, and a running one stops at its next check.
 */
final class JobQueue implements AutoCloseable {
    /** Most jobs waiting at once; more get 503. */
    static final int MAX_WAITING = 16;
    /** Finished jobs kept for their downloads. */
    static final int KEEP_FINISHED = 32;
    /** How long a request that waits for its answer (a VAE view) may wait and run; then it is cancelled. */
    static final long CALL_MILLIS = 120_000;

    private record Entry(Job job, Consumer<Job> body) {}

    private final List<Entry> waiting = new ArrayList<>();
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final Thread worker = new Thread(this::work, "diffusion4j-serve-worker");
    private boolean closed;
    /** The job the worker runs now, or null. */
    private Job current;

    JobQueue() {
        worker.setDaemon(true);
        worker.start();
    }

    /** A new job id: random, so that nobody reads or cancels another's job by guessing. */
    static String newId() {
        return "job-" + Guard.random(16);
    }

    /** Queues a job that clients follow by id; {@code body} runs it on the worker. */
    synchronized void submit(Job job, Consumer<Job> body) {
        enqueue(job, body);
        jobs.put(job.id(), job);
        forgetOld();
    }

    private synchronized void enqueue(Job job, Consumer<Job> body) {
        if (closed) {
            throw new HttpError(503, "the server is stopping");
        }
        if (waiting.size() >= MAX_WAITING) {
            throw new HttpError(503, "the queue is full (" + MAX_WAITING + " waiting); try again later");
        }
        waiting.add(new Entry(job, body));
        positions();
        notifyAll();
    }

    /**
     * Runs {@code work} in the queue and waits for its result, at most {@link #CALL_MILLIS}; past
     * that it is cancelled (it checks {@link Job#checkCancelled()} between its parts) and the
     * request gets 503.
     */
    <T> T call(String what, Function<Job, T> work) {
        Job job = new Job(newId(), what, what, null, 0, 0);
        CompletableFuture<T> result = new CompletableFuture<>();
        enqueue(job, j -> {
            try {
                result.complete(work.apply(j));
                j.end(Job.State.DONE, null);
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
                j.end(Job.State.FAILED, null);
            }
        });
        try {
            return result.get(CALL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            cancel(job);
            throw new HttpError(503, what + " took longer than " + CALL_MILLIS / 1000 + " s (waiting included) and was cancelled");
        } catch (InterruptedException e) {
            cancel(job);
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the server is stopping");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Job.Cancelled) {
                throw new HttpError(503, what + " was cancelled");
            }
            if (e.getCause() instanceof RuntimeException x) {
                throw x;
            }
            throw new UserException(what + " failed: " + e.getCause());
        }
    }

    /** Cancels a job: a waiting one leaves the queue now (its place is free), a running one stops at its next step. */
    void cancel(Job job) {
        job.cancel();
        synchronized (this) {
            if (waiting.removeIf(e -> e.job() == job)) {
                positions();
            }
        }
    }

    private void work() {
        while (true) {
            Entry next;
            synchronized (this) {
                while (waiting.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                next = waiting.remove(0);
                current = next.job();
                positions();
            }
            if (next.job().start()) {
                try {
                    next.body().accept(next.job());
                } catch (RuntimeException | Error e) {
                    // a body reports its own failures; this keeps the worker alive whatever happens
                    next.job().end(Job.State.FAILED, "internal error");
                    System.err.println("diffusion4j serve: internal error in " + next.job().id() + ": " + e);
                }
            }
            synchronized (this) {
                current = null;
            }
        }
    }

    private void positions() {
        for (int i = 0; i < waiting.size(); i++) {
            waiting.get(i).job().queuedAt(i + 1);
        }
    }

    private void forgetOld() {
        int finished = 0;
        for (Job j : jobs.values()) {
            finished += j.state().terminal() ? 1 : 0;
        }
        for (Iterator<Job> it = jobs.values().iterator(); it.hasNext() && finished > KEEP_FINISHED;) {
            if (it.next().state().terminal()) {
                it.remove();
                finished--;
            }
        }
    }

    /**
     * The Draw jobs, newest first, each with {@code startsIn} while it waits: the seconds until it
     * starts (what the running job has left and the estimates of those before it), when all of
     * them are known.
     */
    synchronized com.google.gson.JsonArray list() {
        Map<Job, Double> startsIn = new java.util.HashMap<>();
        double ahead = current == null ? 0 : current.remaining();
        for (Entry e : waiting) {
            startsIn.put(e.job(), ahead);
            ahead += e.job().remaining();
        }
        List<Job> all = new ArrayList<>(jobs.values());
        java.util.Collections.reverse(all);
        com.google.gson.JsonArray a = new com.google.gson.JsonArray();
        for (Job j : all) {
            com.google.gson.JsonObject o = j.describe();
            Double s = startsIn.get(j);
            if (s != null && Double.isFinite(s)) {
                o.addProperty("startsIn", Math.round(Math.max(0, s) * 10) / 10.0);
            }
            a.add(o);
        }
        return a;
    }

    /** Seconds until a job submitted now would start, NaN when unknown. */
    synchronized double waitSeconds() {
        double ahead = current == null ? 0 : current.remaining();
        for (Entry e : waiting) {
            ahead += e.job().remaining();
        }
        return ahead;
    }

    synchronized Job get(String id) {
        Job j = jobs.get(id);
        if (j == null) {
            throw HttpError.notFound("no job '" + id + "'");
        }
        return j;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (Entry e : waiting) {
                e.job().cancel();
            }
            waiting.clear();
            for (Job j : jobs.values()) {
                j.cancel();
            }
            notifyAll();
        }
        worker.interrupt();
    }
}
