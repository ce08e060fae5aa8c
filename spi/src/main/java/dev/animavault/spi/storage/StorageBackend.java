package dev.animavault.spi.storage;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where identities, secrets and core's records live. See the package documentation for the rules all
 * methods follow (conditional writes, revisions, ordering, isolation, durability, thread safety).
 *
 * <p>Errors are {@link dev.animavault.spi.VaultException}s: {@code ALREADY_EXISTS},
 * {@code REVISION_CONFLICT}, {@code IDENTITY_NOT_FOUND}, {@code SECRET_NOT_FOUND}, {@code NOT_FOUND}
 * for the conditions named below, {@code STORAGE_UNAVAILABLE} when the store cannot be reached.
 *
 * <p>Lifecycle: created by its factory at startup, used concurrently, closed once at shutdown
 * ({@link #close()} is idempotent).
 */
public interface StorageBackend extends AutoCloseable {

    /** How values are protected at rest; constant for the life of the backend. */
    Protection protection();

    // ---------------------------------------------------------------- identities

    /**
     * Stores a new identity with revision 1.
     *
     * @throws dev.animavault.spi.VaultException {@code ALREADY_EXISTS} if the id is taken in the organization
     */
    Identity createIdentity(Identity identity);

    /** The identity, if it exists. */
    Optional<Identity> getIdentity(String organizationId, String identityId);

    /**
     * Replaces an identity's mutable fields (name, metadata, disabled, updatedAt).
     *
     * @throws dev.animavault.spi.VaultException {@code IDENTITY_NOT_FOUND}, {@code REVISION_CONFLICT}
     */
    Identity updateIdentity(Identity identity, long expectedRevision);

    /**
     * Deletes an identity together with all its secrets and versions.
     *
     * @throws dev.animavault.spi.VaultException {@code IDENTITY_NOT_FOUND}, {@code REVISION_CONFLICT}
     */
    void deleteIdentity(String organizationId, String identityId, long expectedRevision);

    /** Identities of an organization ordered by id. */
    Page<Identity> listIdentities(String organizationId, PageRequest page);

    // ---------------------------------------------------------------- secrets

    /**
     * Stores a new secret with its first version, atomically. {@code firstVersion.version()} must equal
     * {@code metadata.currentVersion()}.
     *
     * @throws dev.animavault.spi.VaultException {@code IDENTITY_NOT_FOUND} if the identity does not exist,
     *                                           {@code ALREADY_EXISTS} if the key is taken
     */
    SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion);

    /**
     * Reads a secret's metadata and one version in a single round trip to the store. This is the hot
     * path of every agent read.
     *
     * @param version the version to read; empty for {@code metadata.currentVersion()}
     * @return empty if the secret or that version does not exist
     */
    Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version);

    /** The secret's metadata, if it exists. */
    Optional<SecretMetadata> getSecretMetadata(SecretRef ref);

    /**
     * Adds a version and replaces the metadata, atomically. {@code newVersion.version()} must be one more
     * than the highest stored version; the metadata may make it current or leave it pending.
     *
     * @throws dev.animavault.spi.VaultException {@code SECRET_NOT_FOUND}, {@code REVISION_CONFLICT},
     *                                           {@code ALREADY_EXISTS} if that version number exists
     */
    SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion);

    /**
     * Replaces the metadata (current version pointer, labels, attributes) without adding a version.
     *
     * @throws dev.animavault.spi.VaultException {@code SECRET_NOT_FOUND}, {@code REVISION_CONFLICT}
     */
    SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision);

    /** All stored versions of a secret, oldest first; empty if the secret does not exist. */
    List<SecretVersion> listVersions(SecretRef ref);

    /**
     * Replaces the stored bytes of one existing version, if and only if they are still exactly
     * {@code expected}: core's keyring re-encryption moves a sealed value to a newer data key this way
     * (the version number, creation time, author and the secret's metadata and revision stay as they are;
     * readers see the old bytes or the new ones, never a mix). Caches of the version must drop it, and a
     * {@link ChangeNotifying} backend tells other nodes as for any write of the secret.
     *
     * <p>Optional: a backend that cannot rewrite a version in place keeps this default, which refuses with
     * {@code UNAVAILABLE}; core then cannot re-encrypt its values (keyring rotation still works, the old
     * data keys simply stay). Backends with {@link Protection#NATIVE} never receive this call.
     * Thread-safe; idempotent (a repeated call finds {@code replacement}, not {@code expected}, and
     * returns false).
     *
     * @return true when replaced; false when the version is gone or its bytes differ from {@code expected}
     * @throws dev.animavault.spi.VaultException {@code UNAVAILABLE} when the backend does not support it
     * @since 0.9 (keyring rotation)
     */
    default boolean replaceVersionValue(SecretRef ref, int version, byte[] expected, byte[] replacement) {
        throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.UNAVAILABLE, getClass().getSimpleName()
                + " cannot rewrite a stored version in place, so values cannot be re-encrypted under a new data key");
    }

    /**
     * Destroys one stored version of a secret: its value is removed from the store for good (not merely
     * hidden), so afterwards {@link #readSecret} of that version is empty and {@link #listVersions} no
     * longer lists it; the secret's metadata, revision and other versions stay as they are. Core calls it
     * for versions its policy retired (rotation {@code retiredVersions: destroy}) and remembers the
     * destruction in the secret's attributes, so a gap below the current version is expected. Caches of
     * the version must drop it, and a {@link ChangeNotifying} backend tells other nodes as for any write
     * of the secret. Backends that keep freed pages (SQLite) should overwrite them.
     *
     * <p>Only versions below the secret's current version may be destroyed: the current one and any
     * version above it (a pending one) are refused with {@code INVALID_ARGUMENT}, so a destroyed number is
     * never reused by {@link #addVersion}.
     *
     * <p>Optional: a backend that cannot remove one version keeps this default, which refuses with
     * {@code UNAVAILABLE}; core then keeps retired versions (unreadable by identity tokens) and says so in
     * its audit. Thread-safe; idempotent (destroying a version that is already gone returns false).
     *
     * @return true when the version was removed now; false when it (or the secret) was not there
     * @throws dev.animavault.spi.VaultException {@code INVALID_ARGUMENT} for the current version or one
     *                                           above it, {@code UNAVAILABLE} when the backend does not
     *                                           support it
     * @since 0.10 (retired versions destroyed by rotation policy)
     */
    default boolean destroyVersion(SecretRef ref, int version) {
        throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.UNAVAILABLE, getClass().getSimpleName()
                + " cannot destroy a single stored version, so retired versions are kept");
    }

    /**
     * Deletes a secret and all its versions.
     *
     * @throws dev.animavault.spi.VaultException {@code SECRET_NOT_FOUND}, {@code REVISION_CONFLICT}
     */
    void deleteSecret(SecretRef ref, long expectedRevision);

    /** Metadata of an identity's secrets ordered by key; never values. */
    Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page);

    // ---------------------------------------------------------------- core's records

    /** The record, if it exists. */
    Optional<StoredRecord> getRecord(String namespace, String key);

    /**
     * Creates ({@code expectedRevision == 0}) or replaces ({@code expectedRevision > 0}) a record.
     *
     * @throws dev.animavault.spi.VaultException {@code ALREADY_EXISTS} when creating an existing record,
     *                                           {@code NOT_FOUND} or {@code REVISION_CONFLICT} when replacing
     */
    StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision);

    /**
     * Deletes a record.
     *
     * @throws dev.animavault.spi.VaultException {@code NOT_FOUND}, {@code REVISION_CONFLICT}
     */
    void deleteRecord(String namespace, String key, long expectedRevision);

    /** Records of a namespace ordered by key. */
    Page<StoredRecord> listRecords(String namespace, PageRequest page);

    // ---------------------------------------------------------------- leases

    /** The record namespace the default lease methods keep their leases in. */
    String LEASE_NAMESPACE = "sys.leases";

    /**
     * Tries to take the lease {@code name} for {@code owner} for {@code ttl}: granted when nobody holds
     * it, when the holder's lease has expired, or when {@code owner} already holds it (then it is
     * extended and gets a new fence). At most one owner holds a name at any instant, across every
     * process sharing the store; a holder that dies loses the lease when it expires.
     *
     * <p>Expiry is judged by the clock of the process (or database) that writes the grant, so ttl must
     * be well above the clock skew between vault nodes. Work done under a lease should also be written
     * with conditional writes: a lease can expire while its holder is paused (GC, network), and then the
     * holder's next conditional write is what stops it.
     *
     * <p>The default implementation keeps one record per lease in {@link #LEASE_NAMESPACE}, updated with
     * conditional writes (the record's revision is the fence); backends may override all three lease
     * methods together with something native (a table, a row lock). Thread-safe; never blocks waiting for
     * a lease.
     *
     * @return the lease, or empty when another owner holds it
     * @throws dev.animavault.spi.VaultException {@code INVALID_ARGUMENT} for a bad name, owner or ttl
     */
    default Optional<Lease> tryAcquireLease(String name, String owner, Duration ttl) {
        Lease.checkNames(name, owner);
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.INVALID_ARGUMENT,
                    "lease ttl must be positive");
        }
        Instant now = Instant.now();
        Optional<StoredRecord> existing = getRecord(LEASE_NAMESPACE, name);
        long expected = 0;
        if (existing.isPresent()) {
            String[] held = new String(existing.get().value(), StandardCharsets.UTF_8).split("\n", 2);
            boolean expired = Long.parseLong(held[0]) <= now.toEpochMilli();
            if (!expired && !held[1].equals(owner)) {
                return Optional.empty();
            }
            expected = existing.get().revision();
        }
        Instant expiresAt = now.plus(ttl);
        try {
            StoredRecord r = putRecord(LEASE_NAMESPACE, name,
                    (expiresAt.toEpochMilli() + "\n" + owner).getBytes(StandardCharsets.UTF_8), expected);
            return Optional.of(new Lease(name, owner, Instant.ofEpochMilli(expiresAt.toEpochMilli()), r.revision()));
        } catch (dev.animavault.spi.VaultException e) {
            if (e.errorCode() == dev.animavault.spi.ErrorCode.ALREADY_EXISTS
                    || e.errorCode() == dev.animavault.spi.ErrorCode.REVISION_CONFLICT
                    || e.errorCode() == dev.animavault.spi.ErrorCode.NOT_FOUND) {
                return Optional.empty(); // another owner wrote first
            }
            throw e;
        }
    }

    /**
     * Extends a lease still held under the same grant (same owner and fence, not expired) to now +
     * {@code ttl}. Use the returned lease from then on: its fence may have grown (never shrunk).
     *
     * @return the extended lease, or empty when it was lost (expired and taken, or released)
     */
    default Optional<Lease> renewLease(Lease lease, Duration ttl) {
        Optional<StoredRecord> existing = getRecord(LEASE_NAMESPACE, lease.name());
        Instant now = Instant.now();
        if (existing.isEmpty() || existing.get().revision() != lease.fence()) {
            return Optional.empty();
        }
        String[] held = new String(existing.get().value(), StandardCharsets.UTF_8).split("\n", 2);
        if (Long.parseLong(held[0]) <= now.toEpochMilli() || !held[1].equals(lease.owner())) {
            return Optional.empty();
        }
        Instant expiresAt = Instant.ofEpochMilli(now.plus(ttl).toEpochMilli());
        try {
            StoredRecord r = putRecord(LEASE_NAMESPACE, lease.name(),
                    (expiresAt.toEpochMilli() + "\n" + lease.owner()).getBytes(StandardCharsets.UTF_8),
                    lease.fence());
            // the record's revision moved: the renewed grant carries the new one as its fence
            return Optional.of(new Lease(lease.name(), lease.owner(), expiresAt, r.revision()));
        } catch (dev.animavault.spi.VaultException e) {
            if (e.errorCode() == dev.animavault.spi.ErrorCode.REVISION_CONFLICT
                    || e.errorCode() == dev.animavault.spi.ErrorCode.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Gives a lease up so another owner may take it at once. Does nothing when the lease is no longer
     * held under this grant. Idempotent.
     */
    default void releaseLease(Lease lease) {
        Optional<StoredRecord> existing = getRecord(LEASE_NAMESPACE, lease.name());
        if (existing.isEmpty() || existing.get().revision() != lease.fence()) {
            return;
        }
        try {
            // kept as an expired grant (not deleted) so the next grant's fence is still greater
            putRecord(LEASE_NAMESPACE, lease.name(), ("0\n" + lease.owner()).getBytes(StandardCharsets.UTF_8),
                    lease.fence());
        } catch (dev.animavault.spi.VaultException e) {
            if (e.errorCode() != dev.animavault.spi.ErrorCode.REVISION_CONFLICT
                    && e.errorCode() != dev.animavault.spi.ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- health

    /**
     * Checks that the store can be reached now, for the vault's health endpoint: returns normally when
     * it answers, throws otherwise. It must reach the store itself (a database round trip, a request to
     * the remote service), not answer from caches or an in-memory index, and should be cheap: health is
     * polled (core calls this at most about once a second) and must not read sealed or large data.
     *
     * <p>Thread-safe, may run concurrently with every other method, changes nothing. The default lists one
     * record of core's {@code sys} namespace; backends should override it with something cheaper (a
     * {@code SELECT 1}, an authenticated ping).
     *
     * @throws dev.animavault.spi.VaultException {@code STORAGE_UNAVAILABLE} (also after {@link #close()})
     */
    default void probe() {
        listRecords("sys", PageRequest.first(1));
    }

    /** Releases connections and files. Idempotent. */
    @Override
    void close();
}
