package dev.animavault.spi.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * A held lease: the right of one owner to do a named piece of work (a rotation, a re-encryption, an
 * OAuth refresh) until {@code expiresAt}, shared by every vault process on one store. Obtained from
 * {@link StorageBackend#tryAcquireLease}; immutable.
 *
 * @param name      what is leased, e.g. {@code rotation/3fa1...}; 1-256 characters
 * @param owner     who holds it (a node id, unique per process); 1-128 characters
 * @param expiresAt when it ends unless renewed
 * @param fence     a fencing token: strictly greater for every new grant of the same name, so work done
 *                  under an older grant can be told apart from work under a newer one
 */
public record Lease(String name, String owner, Instant expiresAt, long fence) {
    public Lease {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(owner, "owner is null");
        Objects.requireNonNull(expiresAt, "expiresAt is null");
        if (fence < 1) {
            throw new IllegalArgumentException("fence must be >= 1");
        }
    }

    /** Checks a lease name and owner as every backend does. */
    public static void checkNames(String name, String owner) {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(owner, "owner is null");
        if (name.isEmpty() || name.length() > 256 || owner.isEmpty() || owner.length() > 128) {
            throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.INVALID_ARGUMENT,
                    "lease names have 1-256 characters and owners 1-128");
        }
    }
}
