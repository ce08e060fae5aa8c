package dev.animavault.client;

/** {@code /v1/sys}: the server's own state (health needs no token; plugins an organization API key). */
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

    /** A loaded plugin and the provider names it contributes. */
    public record Plugin(String id, String version, java.util.List<String> storageBackends,
                         java.util.List<String> credentialTypes, java.util.List<String> auditSinks) {
    }

    /** {@code GET /v1/sys/plugins}: the loaded plugins (organization API key). */
    public java.util.List<Plugin> plugins() {
        return t.send(Transport.get("/v1/sys/plugins"), n -> JsonViews.items(n, p -> new Plugin(JsonViews.text(p, "id"),
                JsonViews.text(p, "version"), JsonViews.strings(p, "storageBackends"),
                JsonViews.strings(p, "credentialTypes"), JsonViews.strings(p, "auditSinks"))));
    }
}
