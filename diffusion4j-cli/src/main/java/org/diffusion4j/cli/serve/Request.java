package org.diffusion4j.cli.serve;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** One HTTP exchange: its query (and form body) parameters, read with bounds, and the reply. */
public final class Request {
    /** Largest request body read (an uploaded image or a form). */
    public static final int MAX_BODY_BYTES = 5 << 20;

    private final HttpExchange exchange;
    private Map<String, String> params;
    private byte[] body;

    Request(HttpExchange exchange) {
        this.exchange = exchange;
    }

    static void parse(String query, Map<String, String> into) {
        if (query == null || query.isEmpty()) {
            return;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            into.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // URLDecoder's own message names its internals; say what is wrong instead
            throw HttpError.badRequest("the parameters are not properly %-encoded (a % must be followed by two hex digits)");
        }
    }

    public HttpExchange exchange() {
        return exchange;
    }

    public String method() {
        return exchange.getRequestMethod();
    }

    public String path() {
        return exchange.getRequestURI().getPath();
    }

    /** HEAD: answered as GET, headers only. */
    public boolean head() {
        return "HEAD".equals(method());
    }

    /** The query parameters, and those of a form body (application/x-www-form-urlencoded) once read. */
    public Map<String, String> params() {
        if (params == null) {
            Map<String, String> p = new LinkedHashMap<>();
            parse(exchange.getRequestURI().getRawQuery(), p);
            params = p;
        }
        return params;
    }

    /** Reads a form body into {@link #params()}. */
    public Request withForm() throws IOException {
        parse(new String(body(), StandardCharsets.UTF_8), params());
        return this;
    }

    /** The request body, at most {@link #MAX_BODY_BYTES}. */
    public byte[] body() throws IOException {
        if (body == null) {
            try (InputStream in = exchange.getRequestBody()) {
                byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
                if (b.length > MAX_BODY_BYTES) {
                    throw new HttpError(413, "the request body is larger than " + (MAX_BODY_BYTES >> 20) + " MB");
                }
                body = b;
            }
        }
        return body;
    }

    public String string(String name, String fallback) {
        String v = params().get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    public String require(String name) {
        String v = string(name, null);
        if (v == null) {
            throw HttpError.badRequest("missing parameter '" + name + "'");
        }
        return v;
    }

    /** An integer parameter in [min, max]; a missing one is {@code fallback}. */
    public int integer(String name, int fallback, int min, int max) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        int x;
        try {
            x = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw HttpError.badRequest("parameter '" + name + "' must be an integer, got '" + v + "'");
        }
        if (x < min || x > max) {
            throw HttpError.badRequest("parameter '" + name + "' must be in " + min + ".." + max + ", got " + x);
        }
        return x;
    }

    /** A finite number parameter; a missing one is {@code fallback}. */
    public double number(String name, double fallback) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            double x = Double.parseDouble(v);
            if (Double.isFinite(x)) {
                return x;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw HttpError.badRequest("parameter '" + name + "' must be a finite number, got '" + v + "'");
    }

    public void send(int status, String contentType, byte[] data) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (head()) {
            // the JDK warns when HEAD is given a length: it wants the header set by hand and -1
            exchange.getResponseHeaders().set("Content-Length", String.valueOf(data.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, data.length == 0 ? -1 : data.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(data);
        }
    }

    public void json(Object gsonTree) throws IOException {
        send(200, "application/json; charset=utf-8", Json.GSON.toJson(gsonTree).getBytes(StandardCharsets.UTF_8));
    }

    public void text(int status, String text) throws IOException {
        send(status, "text/plain; charset=utf-8", (text + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
