package org.diffusion4j.cli.serve;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;

/** The JSON the API speaks (Gson stays in the CLI module: the core's public API has none). */
final class Json {
    static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private Json() {}

    static JsonArray numbers(double[] v) {
        JsonArray a = new JsonArray(v.length);
        for (double x : v) {
            a.add(x);
        }
        return a;
    }

    static JsonArray numbers(float[] v) {
        JsonArray a = new JsonArray(v.length);
        for (float x : v) {
            a.add(x);
        }
        return a;
    }

    static JsonArray numbers(int[] v) {
        JsonArray a = new JsonArray(v.length);
        for (int x : v) {
            a.add(x);
        }
        return a;
    }
}
