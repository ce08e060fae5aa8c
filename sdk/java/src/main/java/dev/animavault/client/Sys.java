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

    /**
     * An installed plugin and the provider names it contributes; {@code loaded} is false for a plugin the
     * server skipped because its configuration uses none of them (servers before that field: always true).
     */
    public record Plugin(String id, String version, java.util.List<String> storageBackends,
                         java.util.List<String> credentialTypes, java.util.List<String> auditSinks, boolean loaded) {
    }

    /** {@code GET /v1/sys/plugins}: the installed plugins, loaded or not (organization API key). */
    public java.util.List<Plugin> plugins() {
        return t.send(Transport.get("/v1/sys/plugins"), n -> JsonViews.items(n, p -> new Plugin(JsonViews.text(p, "id"),
                JsonViews.text(p, "version"), JsonViews.strings(p, "storageBackends"),
                JsonViews.strings(p, "credentialTypes"), JsonViews.strings(p, "auditSinks"),
                p.path("loaded").asBoolean(true))));
    }

    /** A data key of the keyring (never its material); {@code encryptions} is the durable reserved count. */
    public record DataKey(int id, java.time.Instant created, long encryptions, boolean active) {
    }

    /** A token HMAC key version; {@code retiresAt} null without a deadline. */
    public record TokenKey(int version, java.time.Instant created, java.time.Instant retiresAt, boolean active) {
    }

    /**
     * The re-encryption job: {@code state} is {@code idle}, {@code pending}, {@code running}, {@code done} or
     * {@code unsupported}; {@code done}/{@code total} count secrets in the current pass.
     */
    public record Reencryption(String state, int targetKey, int pass, long done, long total, long versionsMoved,
                               long recordsMoved, String message) {
    }

    /** What {@code GET /v1/sys/keyring} reports. */
    public record Keyring(int activeKey, java.util.List<DataKey> keys, int activeTokenKey,
                          java.util.List<TokenKey> tokenKeys, Reencryption reencryption) {
    }

    /** The outcome of a keyring rotation. */
    public record KeyringRotation(String key, int activeKey, int activeTokenKey, java.time.Instant retireOldAt) {
    }

    /** {@code GET /v1/sys/keyring} (permission {@code sys:read}). */
    public Keyring keyring() {
        return t.send(Transport.get("/v1/sys/keyring"), n -> {
            com.fasterxml.jackson.databind.JsonNode r = n.path("reencryption");
            return new Keyring(n.path("activeKey").asInt(),
                    JsonViews.items(wrap(n.path("keys")), k -> new DataKey(k.path("id").asInt(),
                            JsonViews.instant(k, "created"), k.path("encryptions").asLong(), k.path("active").asBoolean())),
                    n.path("activeTokenKey").asInt(),
                    JsonViews.items(wrap(n.path("tokenKeys")), k -> new TokenKey(k.path("version").asInt(),
                            JsonViews.instant(k, "created"), JsonViews.instant(k, "retiresAt"),
                            k.path("active").asBoolean())),
                    new Reencryption(JsonViews.text(r, "state"), r.path("targetKey").asInt(), r.path("pass").asInt(),
                            r.path("done").asLong(), r.path("total").asLong(), r.path("versionsMoved").asLong(),
                            r.path("recordsMoved").asLong(), JsonViews.text(r, "message")));
        });
    }

    /**
     * {@code POST /v1/sys/keyring/rotate} (permission {@code keys:rotate}): {@code key} is {@code data} or
     * {@code token}; {@code retireOldAfter} (token only, e.g. {@code 7d}) may be null. Not retried: a
     * second rotation is not harmless.
     */
    public KeyringRotation rotateKeyring(String key, String retireOldAfter) {
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("key", key);
        if (retireOldAfter != null) {
            body.put("retireOldAfter", retireOldAfter);
        }
        return t.send(Transport.post("/v1/sys/keyring/rotate").body(body).idempotent(false),
                n -> new KeyringRotation(JsonViews.text(n, "key"), n.path("activeKey").asInt(),
                        n.path("activeTokenKey").asInt(), JsonViews.instant(n, "retireOldAt")));
    }

    private static com.fasterxml.jackson.databind.JsonNode wrap(com.fasterxml.jackson.databind.JsonNode array) {
        com.fasterxml.jackson.databind.node.ObjectNode o =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        o.set("items", array);
        return o;
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
