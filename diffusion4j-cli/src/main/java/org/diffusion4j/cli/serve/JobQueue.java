package org.diffusion4j.cli.serve;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Runs one generation at a time, in order of arrival, on one worker thread. One at a time for all
 * models, not per model: every sampler draws its noise from PyTorch's one global generator
 * (seeded per batch), so two runs side by side would change each other's samples, and on a
 * laptop's cores they would only share the same CPU. Waiting jobs know their place.
 */
final class JobQueue implements AutoCloseable {
    /** Most jobs waiting at once; more get 503. */
    static final int MAX_WAITING = 16;
    /** Finished jobs kept for their downloads. */
    static final int KEEP_FINISHED = 32;

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "diffusion4j-serve-worker");
        t.setDaemon(true);
        return t;
    });
    private final List<Job> waiting = new ArrayList<>();
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private int next = 1;

    synchronized String newId() {
        return "job-" + next++;
    }

    /** Queues a job; {@code body} runs it on the worker unless it was cancelled while waiting. */
    synchronized void submit(Job job, Consumer<Job> body) {
        if (waiting.size() >= MAX_WAITING) {
            throw new HttpError(503, "the queue is full (" + MAX_WAITING + " waiting); try again later");
        }
        waiting.add(job);
        jobs.put(job.id(), job);
        forgetOld();
        positions();
        worker.execute(() -> {
            synchronized (this) {
                waiting.remove(job);
                positions();
            }
            if (job.start()) {
                body.accept(job);
            }
        });
    }

    /** Runs {@code work} on the worker between generations (for other uses of the global generator). */
    <T> T between(java.util.concurrent.Callable<T> work) throws Exception {
        try {
            return worker.submit(work).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    private void positions() {
        for (int i = 0; i < waiting.size(); i++) {
            waiting.get(i).queuedAt(i + 1);
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
            for (Job j : jobs.values()) {
                j.cancel();
            }
        }
        worker.shutdownNow();
    }
}
