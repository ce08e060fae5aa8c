package dev.animavault.core.service;

import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link VaultService} asks about a secret's lifecycle (rotation policy, expiry, which old versions
 * an agent may still read) without knowing how rotation works: the rotation engine
 * ({@code dev.animavault.core.rotation}) implements it. Called on request threads; thread-safe.
 */
public interface SecretLifecycle {

    /** What a client asked for on create or PUT, as received (validated by the lifecycle). */
    record Request(Optional<Map<String, String>> rotation, Optional<String> expiresAt) {
        /** Nothing asked. */
        public static final Request NONE = new Request(Optional.empty(), Optional.empty());

        public Request {
            rotation = rotation.map(Map::copyOf);
        }
    }

    /** No lifecycle: no policies, no expiry, every stored version readable as before rotation existed. */
    SecretLifecycle NONE = new SecretLifecycle() {
    };

    /** The credential type a create uses when the client names none; empty means a type is required. */
    default Optional<String> defaultType() {
        return Optional.empty();
    }

    /**
     * The core-managed attributes of a new secret. May write index entries (e.g. the rotation schedule)
     * before the secret exists: they must be harmless if the create then fails.
     *
     * @throws dev.animavault.spi.VaultException {@code INVALID_ARGUMENT} for a bad policy
     */
    default Map<String, String> forCreate(SecretRef ref, CredentialType type, Request request, Instant now) {
        if (request.rotation().isPresent() || request.expiresAt().isPresent()) {
            throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.INVALID_ARGUMENT,
                    "rotation and expiry are not enabled on this vault");
        }
        return Map.of();
    }

    /** The attributes after a client stores a new current version (a PUT). */
    default Map<String, String> forNewVersion(SecretMetadata current, CredentialType type, Request request,
                                              Instant now) {
        if (request.rotation().isPresent() || request.expiresAt().isPresent()) {
            throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.INVALID_ARGUMENT,
                    "rotation and expiry are not enabled on this vault");
        }
        return current.attributes();
    }

    /** After a create or PUT was stored: tidy index entries, audit policy changes. Best effort. */
    default void written(RequestContext ctx, SecretMetadata before, SecretMetadata after) {
    }

    /** After a secret was deleted: drop what was kept for it beside the secret. Best effort. */
    default void deleted(SecretMetadata last) {
    }

    /**
     * Whether an identity token may read {@code version} of a secret whose metadata was just read (no
     * storage access: this is on the read path). Only asked for versions other than the current one.
     */
    default boolean identityMayRead(SecretMetadata metadata, int version, Instant now) {
        return version < metadata.currentVersion();
    }

    /**
     * Whether {@code version} of a secret was destroyed under its policy (reads answer 410
     * {@code version_destroyed}), judged from metadata just read (no storage access). Asked only for a
     * version other than the current one: {@code stored} says whether the store still returned it.
     */
    default boolean destroyed(SecretMetadata metadata, int version, boolean stored) {
        return false;
    }
}
