package dev.animavault.spi.storage;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
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
