package org.diffusion4j.ddpm;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.diffusion4j.TorchRuntime;
import org.diffusion4j.diffusion.SamplerSettings;

/**
 * What exact sampling costs (docs/scaling.md, "Exact sampling: what it costs"): requests with and
 * without {@link Sampling#exact(boolean)}, and with other chunks, alternated in one process on the
 * bundled model, so that a machine shared with other jobs disturbs them alike. Prints the median
 * and the least milliseconds per sample and network call. A benchmark, not a test: run it from the
 * repository root with
 *
 * <pre>
 * mvn -q -o -pl diffusion4j-core test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test
 * java -cp diffusion4j-core/target/classes:diffusion4j-core/target/test-classes:$(cat cp.txt) \
 *     org.diffusion4j.ddpm.ExactSamplingCost [rounds, default 6] [threads, default 2]
 * </pre>
 */
public final class ExactSamplingCost {
    private ExactSamplingCost() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        TorchRuntime.setThreads(args.length > 1 ? Integer.parseInt(args[1]) : 2);
        // {n, batch, chunk (0: not exact)}
        int c = Sampling.EXACT_CHUNK;
        int[][] variants = {{1, 64, c}, {1, 1, 0}, {16, 1, c}, {16, 1, 0}, {64, 16, 0}, {64, 64, c}, {64, 64, 0},
            {250, 250, c}, {250, 250, 0}, {64, 64, 8}, {64, 64, 16}, {64, 64, 32}, {64, 64, 64}};
        Map<String, List<Double>> ms = new LinkedHashMap<>();
        try (Ddpm ddpm = Ddpm.load(Path.of("models/ddpm-mnist.safetensors"))) {
            SamplerSettings s = ddpm.defaultSampler().withSteps(2);
            for (int r = -1; r < rounds; r++) { // round -1 warms up
                for (int[] v : variants) {
                    String name = String.format(Locale.ROOT, "n %d, batch %d, %s", v[0], v[1], v[2] > 0 ? "exact, chunk " + v[2] : "not exact");
                    long t0 = System.nanoTime();
                    try (NDManager m = TorchRuntime.newManager()) {
                        ddpm.sampling(v[0]).batch(v[1]).exact(v[2] > 0).chunk(Math.max(1, v[2])).sampler(s).manager(m).draw();
                    }
                    if (r >= 0) {
                        ms.computeIfAbsent(name, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6 / v[0] / s.steps());
                    }
                }
            }
        }
        for (Map.Entry<String, List<Double>> e : ms.entrySet()) {
            List<Double> x = new ArrayList<>(e.getValue());
            Collections.sort(x);
            System.out.printf(Locale.ROOT, "%-32s median %6.1f ms, least %6.1f ms per sample and network call%n", e.getKey(),
                    x.get(x.size() / 2), x.get(0));
        }
    }
}
