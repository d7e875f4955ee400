package org.diffusion4j.cli.serve;

/** A request the server refuses: an HTTP status and a one-line reason for the client. */
public final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public HttpError(int status, String reason) {
        super(reason.replace('\n', ' '));
        this.status = status;
    }

    /** 400: a parameter is missing or out of range. */
    public static HttpError badRequest(String reason) {
        return new HttpError(400, reason);
    }

    public static HttpError notFound(String reason) {
        return new HttpError(404, reason);
    }

    public int status() {
        return status;
    }
}
