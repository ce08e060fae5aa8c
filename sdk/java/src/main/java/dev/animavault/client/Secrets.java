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

    private static String path(String identityId, String key) {
        return "/v1/vault/secrets/" + seg(identityId) + "/" + seg(key);
    }
}
