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

    /**
     * What wraps the keyring: the provider type and non-secret key id of the root key, the deployment id, the
     * last rotation, and whether the answering node's root key opens it.
     */
    public record RootKeyStatus(String type, String keyId, String deploymentId, String rotatedAt, String nodeProvider,
                                boolean nodeOpensKeyring, String nodeProblem) {
    }

    /** {@code GET /v1/sys/root-key} (permission {@code sys:read}). */
    public RootKeyStatus rootKey() {
        return t.send(Transport.get("/v1/sys/root-key"), Sys::rootKeyStatus);
    }

    /**
     * {@code POST /v1/sys/root-key/rotate} (permission {@code keys:rotate}): re-wraps the keyring under a new
     * root key of the server's provider, or, when {@code type} is not null, of that provider configured by
     * {@code config} (credentials by reference only: {@code pin-env}, {@code passphrase-file}).
     */
    public RootKeyStatus rotateRootKey(String type, java.util.Map<String, String> config) {
        Transport.Call call = Transport.post("/v1/sys/root-key/rotate");
        if (type != null) {
            java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("type", type);
            body.put("config", config == null ? java.util.Map.of() : config);
            call.body(body);
        }
        return t.send(call, Sys::rootKeyStatus);
    }

    private static RootKeyStatus rootKeyStatus(com.fasterxml.jackson.databind.JsonNode n) {
        com.fasterxml.jackson.databind.JsonNode node = n.path("node");
        return new RootKeyStatus(JsonViews.text(n, "type"), JsonViews.text(n, "keyId"), JsonViews.text(n, "deploymentId"),
                n.path("rotatedAt").isTextual() ? n.get("rotatedAt").asText() : null, JsonViews.text(node, "provider"),
                node.path("opensKeyring").asBoolean(false), node.path("problem").isTextual() ? node.get("problem").asText()
                : null);
    }
}
