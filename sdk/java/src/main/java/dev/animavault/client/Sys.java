package dev.animavault.client;

/** {@code /v1/sys}: the server's own state (no token needed). */
public final class Sys {
    private final Transport t;

    Sys(Transport transport) {
        this.t = transport;
    }

    /** The server's health as it reports it. */
    public record Health(String status, String storage) {
    }

    /**
     * {@code GET /v1/sys/health}: {@code status} {@code ok} when storage answers. A vault whose storage is down
     * answers 503, thrown as {@link AnimaException.ServerError} (after the retries of an idempotent call).
     */
    public Health health() {
        return t.send(Transport.get("/v1/sys/health").anonymous(),
                n -> new Health(JsonViews.text(n, "status"), JsonViews.text(n, "storage")));
    }
}
