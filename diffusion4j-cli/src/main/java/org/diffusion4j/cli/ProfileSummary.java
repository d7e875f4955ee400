package org.diffusion4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Sums PyTorch's Chrome-trace profile by operator and by block kind (convolution, GroupNorm,
 * SiLU, attention, optimizer, other), counting only top-level ops so nothing is counted twice.
 */
final class ProfileSummary {
    private ProfileSummary() {}

    static void print(Path trace, int top) throws IOException {
        JsonElement root;
        try (Reader r = Files.newBufferedReader(trace)) {
            root = JsonParser.parseReader(r);
        }
        JsonArray events = root.isJsonArray() ? root.getAsJsonArray() : root.getAsJsonObject().getAsJsonArray("traceEvents");
        // Keep top-level events per thread: an event nested in an earlier one of the same thread is skipped.
        Map<String, double[]> byOp = new HashMap<>();
        Map<String, Double> threadEnd = new HashMap<>();
        double total = 0;
        java.util.List<JsonObject> list = new java.util.ArrayList<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (o.has("dur") && o.has("ts") && "X".equals(o.has("ph") ? o.get("ph").getAsString() : "X")) {
                list.add(o);
            }
        }
        list.sort(java.util.Comparator.comparingDouble(o -> o.get("ts").getAsDouble()));
        for (JsonObject o : list) {
            String tid = o.has("tid") ? o.get("tid").getAsString() : "0";
            double ts = o.get("ts").getAsDouble();
            double dur = o.get("dur").getAsDouble();
            if (ts < threadEnd.getOrDefault(tid, -1.0)) {
                continue;
            }
            threadEnd.put(tid, ts + dur);
            String name = o.get("name").getAsString();
            byOp.computeIfAbsent(name, k -> new double[2])[0] += dur;
            byOp.get(name)[1]++;
            total += dur;
        }
        Map<String, Double> byKind = new HashMap<>();
        for (Map.Entry<String, double[]> e : byOp.entrySet()) {
            byKind.merge(kind(e.getKey()), e.getValue()[0], Double::sum);
        }
        double t = total;
        System.out.printf(Locale.ROOT, "profile (%s): %.0f ms of top-level ops%n", trace, total / 1000);
        byKind.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .forEach(e -> System.out.printf(Locale.ROOT, "  %-14s %8.0f ms %5.1f%%%n", e.getKey(), e.getValue() / 1000, 100 * e.getValue() / t));
        System.out.println("top ops:");
        byOp.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0])).limit(top)
                .forEach(e -> System.out.printf(Locale.ROOT, "  %-40s %8.0f ms %5.1f%% %6.0f calls%n", e.getKey(),
                        e.getValue()[0] / 1000, 100 * e.getValue()[0] / t, e.getValue()[1]));
    }

    static String kind(String op) {
        String s = op.toLowerCase(Locale.ROOT);
        if (s.contains("conv")) {
            return "convolution";
        }
        if (s.contains("layer_norm") || s.contains("batch_norm")) {
            return "groupnorm";
        }
        if (s.contains("sigmoid") || s.contains("silu")) {
            return "silu";
        }
        if (s.contains("bmm") || s.contains("softmax") || s.contains("matmul")) {
            return "attention";
        }
        if (s.contains("dropout") || s.contains("bernoulli") || s.contains("normal") || s.contains("rand")) {
            return "random";
        }
        if (s.contains("sqrt") || s.contains("div") || s.contains("sub_") || s.contains("add_") || s.contains("mul_")) {
            return "optimizer/ema";
        }
        return "other";
    }
}
