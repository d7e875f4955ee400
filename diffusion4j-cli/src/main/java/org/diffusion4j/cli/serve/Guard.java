package org.diffusion4j.cli.serve;

import com.sun.net.httpserver.Headers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks in front of every handler, in one place. Another web page open in the same browser
 * can send requests to 127.0.0.1 (forms, no-cors fetches, images) and, through DNS rebinding
 * under a name of its own, even read the answers. So: the Host header must name the bound address
 * (a rebinding page's Host is its own name), an Origin, when sent, must be this server, and every
 * /api request must carry the per-server secret token in a custom header, which no cross-origin
 * page can add without a CORS preflight that this server never grants. The page gets the token
 * from the address that serve prints (as Jupyter does).
 */
final class Guard {
    /** The header that carries the token; a custom one, so cross-origin pages cannot send it. */
    static final String HEADER = "X-Diffusion4j-Token";
    /** Sent with every answer: no framing (clickjacking), no scripts or loads from elsewhere, no referrer (it would carry the token). */
    static final String CSP = "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    private static final Pattern IP_HOST = Pattern.compile("(\\d{1,3}(\\.\\d{1,3}){3}|\\[[0-9a-fA-F:.]+\\])");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String token = random(16);
    private final int port;
    private final Set<String> names;
    private final boolean anyAddress;

    Guard(InetSocketAddress bound) {
        this.port = bound.getPort();
        InetAddress a = bound.getAddress();
        this.anyAddress = a.isAnyLocalAddress();
        this.names = new HashSet<>(List.of("127.0.0.1", "localhost", "[::1]", literal(a)));
    }

    /** 128 random bits in hex: the token, and job ids (which must not be guessable either). */
    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** An address as it appears in a URL: 127.0.0.1, [::1]. */
    static String literal(InetAddress a) {
        String h = a.getHostAddress();
        int zone = h.indexOf('%');
        h = zone < 0 ? h : h.substring(0, zone);
        return h.contains(":") ? "[" + h + "]" : h;
    }

    String token() {
        return token;
    }

    /** Sets the headers every answer carries. */
    static void headers(Headers h) {
        h.set("Content-Security-Policy", CSP);
        h.set("X-Frame-Options", "DENY");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
    }

    /** Refuses (403) a request with a foreign Host or Origin, or an /api request without the token. */
    void check(Request r) {
        String host = r.exchange().getRequestHeaders().getFirst("Host");
        if (host == null || !allowedHost(host)) {
            throw new HttpError(403, "Host '" + host + "' is not this server's address; open the address that serve printed");
        }
        String origin = r.exchange().getRequestHeaders().getFirst("Origin");
        if (origin != null && !(origin.startsWith("http://") && allowedHost(origin.substring("http://".length())))) {
            throw new HttpError(403, "requests from other sites (Origin " + origin + ") are refused");
        }
        if (r.path().startsWith("/api/") && !tokenMatches(r.exchange().getRequestHeaders().getFirst(HEADER))) {
            throw new HttpError(403, "missing or wrong " + HEADER + " header; open the address that serve printed (it ends in ?token=...)");
        }
    }

    private boolean tokenMatches(String sent) {
        // constant time: the comparison must not tell a guesser how many characters were right
        return sent != null && MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    /** host:port naming this server: a loopback name or the bound address; any IP literal when bound to all addresses. */
    private boolean allowedHost(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0 || hostPort.endsWith("]") || !hostPort.substring(colon + 1).equals(String.valueOf(port))) {
            return false;
        }
        String host = hostPort.substring(0, colon).toLowerCase(Locale.ROOT);
        // A rebinding page reaches us under a name of its own; IP literals cannot be rebound.
        return names.contains(host) || anyAddress && IP_HOST.matcher(host).matches();
    }
}
