package dev.animavault.client;

import static dev.animavault.client.Transport.seg;

/** {@code /v1/vault/secrets}: identity-scoped secrets. */
public final class Secrets {
    private final Transport t;

    Secrets(Transport transport) {
        this.t = transport;
    }

    /** Stores version 1 of a new secret; returns its metadata, never the value. Not retried. */
    public SecretMetadata create(NewSecret secret) {
        return t.send(Transport.post("/v1/vault/secrets").body(secret.json()), JsonViews::secretMetadata);
    }

    /** Reads the current version, value included. */
    public Secret get(String identityId, String key) {
        return t.send(Transport.get(path(identityId, key)), JsonViews::secret);
    }

    /** Reads a given version (1 = the first). */
    public Secret get(String identityId, String key, int version) {
        return t.send(Transport.get(path(identityId, key)).query("version", version), JsonViews::secret);
    }

    /** Writes the next version of an existing secret. Not retried: each call adds a version. */
    public SecretMetadata put(String identityId, String key, SecretUpdate update) {
        return t.send(Transport.put(path(identityId, key)).body(update.json()).idempotent(false),
                JsonViews::secretMetadata);
    }

    /** The first page (up to 100) of an identity's secrets, metadata only. */
    public Page<SecretMetadata> list(String identityId) {
        return list(identityId, 100, null);
    }

    /** One page of an identity's secrets. */
    public Page<SecretMetadata> list(String identityId, int limit, String cursor) {
        return t.send(Transport.get("/v1/vault/secrets/" + seg(identityId)).query("limit", limit)
                .query("cursor", cursor), n -> JsonViews.page(n, JsonViews::secretMetadata));
    }

    /** All of an identity's secrets (metadata), fetched page by page as the stream is consumed. */
    public java.util.stream.Stream<SecretMetadata> listAll(String identityId, int limit) {
        return Page.all(cursor -> list(identityId, limit, cursor));
    }

    /** Deletes the secret and all its versions. */
    public void delete(String identityId, String key) {
        t.send(Transport.delete(path(identityId, key)));
    }

    /**
     * Sets the secret's rotation policy ({@code PATCH .../rotation}, merged into the one it has); returns the
     * metadata. Not retried.
     */
    public SecretMetadata setRotation(String identityId, String key, RotationPolicy policy) {
        return t.send(Transport.patch(path(identityId, key) + "/rotation").body(policy.json()).idempotent(false),
                JsonViews::secretMetadata);
    }

    /** Removes the secret's rotation policy (a plain expiry stays); returns the metadata. */
    public SecretMetadata removeRotation(String identityId, String key) {
        return t.send(Transport.delete(path(identityId, key) + "/rotation"), JsonViews::secretMetadata);
    }

    /** Rotates the secret now (also restarts a failed rotation); returns the metadata. Not retried. */
    public SecretMetadata rotate(String identityId, String key) {
        return t.send(Transport.post(path(identityId, key) + "/rotate").idempotent(false), JsonViews::secretMetadata);
    }

    /** The secret's last rotation webhook deliveries, oldest first. */
    public java.util.List<RotationDelivery> deliveries(String identityId, String key) {
        return t.send(Transport.get(path(identityId, key) + "/rotation/deliveries"), n -> {
            java.util.List<RotationDelivery> out = new java.util.ArrayList<>();
            n.path("items").forEach(d -> out.add(new RotationDelivery(d.path("webhookId").asText(),
                    d.path("event").asText(), d.path("attempt").asInt(), JsonViews.instant(d, "at"),
                    d.path("status").asInt(), d.path("error").isTextual() ? d.get("error").asText() : null,
                    d.path("durationMs").asLong(), d.path("url").asText())));
            return java.util.List.copyOf(out);
        });
    }

    private static String path(String identityId, String key) {
        return "/v1/vault/secrets/" + seg(identityId) + "/" + seg(key);
    }
}
