package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageFixtures.allByteValues;
import static dev.animavault.spi.testkit.StorageFixtures.identity;
import static dev.animavault.spi.testkit.StorageFixtures.now;
import static dev.animavault.spi.testkit.StorageFixtures.randomBytes;
import static dev.animavault.spi.testkit.StorageFixtures.secret;
import static dev.animavault.spi.testkit.StorageFixtures.uniqueId;
import static dev.animavault.spi.testkit.StorageFixtures.utf8;
import static dev.animavault.spi.testkit.StorageFixtures.version;
import static dev.animavault.spi.testkit.StorageFixtures.withCurrent;
import static dev.animavault.spi.testkit.StorageFixtures.withMaps;
import static java.util.Objects.requireNonNull;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The conformance suite every {@link StorageBackend} passes. A plugin extends this class in its test
 * sources and implements {@link #newBackend()}:
 *
 * <pre>{@code
 * class JdbcSqliteStorageTest extends StorageBackendContract {
 *     @TempDir Path dir;
 *     protected StorageBackend newBackend() { return factory.create(config(dir), context(dir)); }
 * }
 * }</pre>
 *
 * <p><b>Isolation between tests.</b> {@link #newBackend()} is called once before every test and the
 * backend is closed (twice, to check idempotency) after it. It may return a fresh empty store or one
 * that shares its data with earlier tests (a PostgreSQL database, a remote vault): every test works
 * in organizations and record namespaces with random names of its own, so data left behind by
 * another test is never seen.
 *
 * <p><b>What is checked</b>, for identities, secrets (metadata and versions) and core's records: the
 * round trip of every field (values byte-exact, label maps exactly, timestamps to the millisecond),
 * conditional writes and their error codes ({@code ALREADY_EXISTS}, {@code REVISION_CONFLICT},
 * {@code NOT_FOUND}, {@code IDENTITY_NOT_FOUND}, {@code SECRET_NOT_FOUND}), revisions (1 on create,
 * strictly increasing), cursor pagination (binary key order, no gaps or duplicates, stable when items
 * are added or removed between pages), organization and identity isolation, deletion cascading from
 * an identity to its secrets, and concurrency (conditional updates from many threads never lose an
 * update, concurrent {@code addVersion} never loses a version, exactly one of racing creates wins).
 *
 * <p><b>Behaviour flags</b>: override {@link #supportsBinaryValues()} for a backend that only stores
 * text values, and {@link #concurrentWriters()}/{@link #updatesPerWriter()} for a backend whose
 * writes are slow (a remote service); the defaults are 8 threads x 500 updates.
 */
public abstract class StorageBackendContract {

    /** The longest any concurrency test may run before it is declared hung. */
    private static final Duration CONCURRENCY_DEADLINE = Duration.ofMinutes(3);

    /** The backend under test; opened before each test, closed after it. */
    protected StorageBackend backend;
    /** An organization id unique to the running test. */
    protected String org;
    /** A second organization id unique to the running test. */
    protected String otherOrg;
    /** A record namespace unique to the running test. */
    protected String namespace;

    /**
     * A backend ready for use: a fresh empty store, or one sharing data with earlier tests (each test
     * uses its own random organization ids and record namespaces). Called once before every test.
     */
    protected abstract StorageBackend newBackend();

    /**
     * Whether the backend stores arbitrary bytes as secret and record values (not only UTF-8 text).
     * Backends with {@link Protection#NONE} must: they store ciphertext.
     */
    protected boolean supportsBinaryValues() {
        return true;
    }

    /**
     * Whether the backend implements {@link StorageBackend#replaceVersionValue} (keyring re-encryption).
     * Backends with {@link Protection#NONE} should; a backend that answers false must refuse the call with
     * {@code UNAVAILABLE}, which the contract checks.
     */
    protected boolean supportsVersionRewrite() {
        return backend.protection() == Protection.NONE;
    }

    /**
     * Whether the backend implements {@link StorageBackend#destroyVersion} (retired versions destroyed by a
     * rotation policy). A backend that answers false must refuse the call with {@code UNAVAILABLE}, which
     * the contract checks.
     */
    protected boolean supportsVersionDestruction() {
        return backend.protection() == Protection.NONE;
    }

    /** Threads used by the concurrency tests. */
    protected int concurrentWriters() {
        return 8;
    }

    /** Successful conditional updates each thread makes in the counter test. */
    protected int updatesPerWriter() {
        return 500;
    }

    @BeforeEach
    final void openBackend() {
        backend = requireNonNull(newBackend(), "newBackend() returned null");
        org = uniqueId("org");
        otherOrg = uniqueId("org");
        namespace = uniqueId("ns");
    }

    @AfterEach
    final void closeBackend() {
        if (backend != null) {
            backend.close();
            backend.close(); // close() is idempotent
        }
    }

    // ================================================================ general

    @Test
    void probeAnswersWhileOpenAndFailsAfterClose() {
        backend.probe();
        backend.probe(); // repeatable, changes nothing
        backend.close();
        VaultException e = assertThrows(VaultException.class, backend::probe, "probe() after close()");
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode(), "probe() after close()");
    }

    @Test
    void protectionIsDeclaredAndConstant() {
        Protection p = backend.protection();
        assertNotNull(p, "protection()");
        assertSame(p, backend.protection(), "protection() must be constant");
        if (p == Protection.NONE) {
            assertTrue(supportsBinaryValues(), "a Protection.NONE backend stores ciphertext, so arbitrary bytes");
        }
    }

    // ================================================================ identities

    @Test
    void identityCreateStoresRevisionOneAndRoundTrips() {
        Identity in = identity(org, "agent_123", Map.of("team", "payments", "env", "prod"));
        Identity created = backend.createIdentity(in);
        assertEquals(in.withRevision(1), created, "createIdentity returns the stored identity with revision 1");
        assertEquals(Optional.of(created), backend.getIdentity(org, "agent_123"));
    }

    @Test
    void identityGetMissingIsEmpty() {
        assertEquals(Optional.empty(), backend.getIdentity(org, "nobody"));
        backend.createIdentity(identity(org, "agent_1"));
        assertEquals(Optional.empty(), backend.getIdentity(org, "agent_2"));
        assertEquals(Optional.empty(), backend.getIdentity(otherOrg, "agent_1"));
    }

    @Test
    void identityDuplicateCreateIsAlreadyExists() {
        Identity first = backend.createIdentity(identity(org, "agent_1", Map.of("v", "first")));
        assertCode(ErrorCode.ALREADY_EXISTS, () -> backend.createIdentity(identity(org, "agent_1", Map.of("v", "2"))));
        assertEquals(Optional.of(first), backend.getIdentity(org, "agent_1"), "the failed create changed nothing");
    }

    @Test
    void identityUpdateReplacesMutableFieldsKeepsCreatedAtAndBumpsRevision() {
        Identity created = backend.createIdentity(identity(org, "agent_1", Map.of("a", "1")));
        Identity changed = new Identity(org, "agent_1", "Renamed", Map.of("b", "2"), true,
                created.createdAt().minusSeconds(3600), created.updatedAt().plusSeconds(5), 777);
        Identity updated = backend.updateIdentity(changed, created.revision());
        assertTrue(updated.revision() > created.revision(), "revision increases on update");
        assertEquals("Renamed", updated.name());
        assertEquals(Map.of("b", "2"), updated.metadata(), "metadata replaced, not merged");
        assertTrue(updated.disabled());
        assertEquals(changed.updatedAt(), updated.updatedAt());
        assertEquals(created.createdAt(), updated.createdAt(), "createdAt is not a mutable field");
        assertEquals(Optional.of(updated), backend.getIdentity(org, "agent_1"));

        Identity again = backend.updateIdentity(new Identity(org, "agent_1", "Again", Map.of(), false,
                created.createdAt(), now(), 0), updated.revision());
        assertTrue(again.revision() > updated.revision(), "revisions strictly increase");
        assertFalse(again.disabled());
    }

    @Test
    void identityUpdateWithStaleRevisionIsRevisionConflict() {
        Identity created = backend.createIdentity(identity(org, "agent_1"));
        Identity updated = backend.updateIdentity(rename(created, "one"), created.revision());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend.updateIdentity(rename(created, "two"), created.revision()));
        assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend.updateIdentity(rename(created, "three"), updated.revision() + 10));
        assertEquals(Optional.of(updated), backend.getIdentity(org, "agent_1"), "failed updates changed nothing");
    }

    @Test
    void identityUpdateOfMissingIdentityIsIdentityNotFound() {
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend.updateIdentity(identity(org, "ghost"), 1));
        assertEquals(Optional.empty(), backend.getIdentity(org, "ghost"), "update never creates");
    }

    @Test
    void identityDeleteChecksRevisionAndExistence() {
        Identity created = backend.createIdentity(identity(org, "agent_1"));
        Identity updated = backend.updateIdentity(rename(created, "x"), created.revision());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend.deleteIdentity(org, "agent_1", created.revision()));
        assertEquals(Optional.of(updated), backend.getIdentity(org, "agent_1"), "a failed delete keeps the identity");
        backend.deleteIdentity(org, "agent_1", updated.revision());
        assertEquals(Optional.empty(), backend.getIdentity(org, "agent_1"));
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend.deleteIdentity(org, "agent_1", updated.revision()));
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend.deleteIdentity(org, "never", 1));
    }

    @Test
    void identityRecreatedAfterDeleteStartsAtRevisionOne() {
        Identity created = backend.createIdentity(identity(org, "agent_1"));
        Identity updated = backend.updateIdentity(rename(created, "x"), created.revision());
        backend.deleteIdentity(org, "agent_1", updated.revision());
        Identity again = backend.createIdentity(identity(org, "agent_1", Map.of("new", "yes")));
        assertEquals(1, again.revision());
        assertEquals(Map.of("new", "yes"), backend.getIdentity(org, "agent_1").orElseThrow().metadata());
    }

    // ================================================================ secrets

    @Test
    void secretCreateThenReadCurrentInOneCall() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "OPENAI_API_KEY");
        SecretMetadata in = secret(ref, 1, Map.of("owner", "team-a"), Map.of("rotation.interval", "30d"));
        SecretVersion v1 = version(ref, 1, "sk-proj-first");
        SecretMetadata created = backend.createSecret(in, v1);
        assertEquals(in.withRevision(1), created, "createSecret returns the stored metadata with revision 1");

        StoredSecret read = backend.readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(created, read.metadata());
        assertEquals(v1, read.version(), "the current version, byte-exact, with createdAt and createdBy");
        assertEquals(Optional.of(created), backend.getSecretMetadata(ref));
        assertEquals(List.of(v1), backend.listVersions(ref));
        assertEquals(read, backend.readSecret(ref, OptionalInt.of(1)).orElseThrow());
    }

    @Test
    void secretReadOfMissingThingsIsEmpty() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "KEY");
        assertEquals(Optional.empty(), backend.readSecret(ref, OptionalInt.empty()));
        assertEquals(Optional.empty(), backend.getSecretMetadata(ref));
        assertEquals(List.of(), backend.listVersions(ref));
        backend.createSecret(secret(ref), version(ref, 1, "v1"));
        assertEquals(Optional.empty(), backend.readSecret(ref, OptionalInt.of(2)), "version 2 does not exist");
        assertEquals(Optional.empty(), backend.readSecret(new SecretRef(org, "agent_1", "KEY2"), OptionalInt.empty()));
        assertEquals(Optional.empty(), backend.readSecret(new SecretRef(org, "agent_2", "KEY"), OptionalInt.empty()));
        assertEquals(Optional.empty(), backend.readSecret(new SecretRef(otherOrg, "agent_1", "KEY"), OptionalInt.empty()));
    }

    @Test
    void secretDuplicateCreateIsAlreadyExistsAndKeepsTheFirst() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "KEY");
        SecretVersion v1 = version(ref, 1, "first-value");
        SecretMetadata created = backend.createSecret(secret(ref), v1);
        String canary = "canary-" + uniqueId("value");
        VaultException e = assertCode(ErrorCode.ALREADY_EXISTS,
                () -> backend.createSecret(secret(ref), version(ref, 1, canary)));
        assertNoValueIn(e, canary);
        StoredSecret read = backend.readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(created, read.metadata());
        assertEquals(v1, read.version(), "the first value is kept");
    }

    @Test
    void secretCreateOnMissingIdentityIsIdentityNotFound() {
        SecretRef ref = new SecretRef(org, "ghost", "KEY");
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend.createSecret(secret(ref), version(ref, 1, "v")));
        backend.createIdentity(identity(otherOrg, "ghost"));
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend.createSecret(secret(ref), version(ref, 1, "v")));
        assertEquals(Optional.empty(), backend.getSecretMetadata(ref));
    }

    @Test
    void replaceVersionValueIsConditionalOnTheStoredBytes() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "REENCRYPTED");
        SecretVersion v1 = version(ref, 1, "old-1");
        SecretMetadata m1 = backend.createSecret(secret(ref), v1);
        SecretMetadata m2 = backend.addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "old-2"));
        byte[] old1 = "old-1".getBytes(StandardCharsets.UTF_8);
        byte[] new1 = "new-1".getBytes(StandardCharsets.UTF_8);
        if (!supportsVersionRewrite()) {
            assertCode(ErrorCode.UNAVAILABLE, () -> backend.replaceVersionValue(ref, 1, old1, new1));
            return;
        }
        assertEquals(m2, backend.getSecretMetadata(ref).orElseThrow());
        assertFalse(backend.replaceVersionValue(ref, 1, "not-the-value".getBytes(StandardCharsets.UTF_8), new1),
                "bytes differ: nothing replaced");
        assertTrue(backend.replaceVersionValue(ref, 1, old1, new1));
        assertFalse(backend.replaceVersionValue(ref, 1, old1, new1), "idempotent: the old bytes are gone");
        assertFalse(backend.replaceVersionValue(ref, 3, old1, new1), "no such version");
        assertFalse(backend.replaceVersionValue(new SecretRef(org, "agent_1", "NOPE"), 1, old1, new1), "no such secret");
        SecretVersion read1 = backend.readSecret(ref, OptionalInt.of(1)).orElseThrow().version();
        assertArrayEquals(new1, read1.value());
        assertEquals(v1.createdAt(), read1.createdAt(), "created time kept");
        assertEquals(v1.createdBy(), read1.createdBy(), "author kept");
        assertArrayEquals("old-2".getBytes(StandardCharsets.UTF_8),
                backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version().value(), "other versions untouched");
        assertEquals(m2, backend.getSecretMetadata(ref).orElseThrow(), "metadata and revision unchanged");
        assertArrayEquals(new1, backend.listVersions(ref).get(0).value());
    }

    @Test
    void destroyVersionRemovesOneOldVersionIdempotently() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "DESTROYED");
        SecretVersion v1 = version(ref, 1, "old-1");
        SecretMetadata m1 = backend.createSecret(secret(ref), v1);
        SecretMetadata m2 = backend.addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "old-2"));
        SecretVersion v3 = version(ref, 3, "cur-3");
        SecretMetadata m3 = backend.addVersion(withCurrent(m2, 3), m2.revision(), v3);
        SecretMetadata m4 = backend.addVersion(withCurrent(m3, 3), m3.revision(), version(ref, 4, "pending-4"));
        if (!supportsVersionDestruction()) {
            assertCode(ErrorCode.UNAVAILABLE, () -> backend.destroyVersion(ref, 1));
            assertEquals(4, backend.listVersions(ref).size(), "nothing destroyed");
            return;
        }
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend.destroyVersion(ref, 3)); // current
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend.destroyVersion(ref, 4)); // above current (pending)
        assertTrue(backend.destroyVersion(ref, 1));
        assertFalse(backend.destroyVersion(ref, 1), "idempotent: already gone");
        assertFalse(backend.destroyVersion(new SecretRef(org, "agent_1", "NOPE"), 1), "no such secret");
        assertEquals(Optional.empty(), backend.readSecret(ref, OptionalInt.of(1)), "value gone");
        assertEquals(List.of(2, 3, 4), backend.listVersions(ref).stream().map(SecretVersion::version).toList());
        assertArrayEquals("old-2".getBytes(StandardCharsets.UTF_8),
                backend.readSecret(ref, OptionalInt.of(2)).orElseThrow().version().value(), "other versions untouched");
        assertEquals(v3, backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version(), "current untouched");
        assertEquals(m4, backend.getSecretMetadata(ref).orElseThrow(), "metadata and revision unchanged");
        // the next version is numbered past every stored one, as before
        SecretMetadata m5 = backend.addVersion(withCurrent(m4, 5), m4.revision(), version(ref, 5, "new-5"));
        assertEquals(5, m5.currentVersion());
        assertTrue(backend.destroyVersion(ref, 2));
        assertTrue(backend.destroyVersion(ref, 4), "an abandoned pending version below current");
        assertEquals(List.of(3, 5), backend.listVersions(ref).stream().map(SecretVersion::version).toList());
    }

    @Test
    void secretVersionsAddReadExplicitMoveCurrentAndList() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "DATABASE_PASSWORD");
        SecretVersion v1 = version(ref, 1, "pwd-1");
        SecretMetadata m1 = backend.createSecret(secret(ref), v1);

        // a pending version: stored, but the current pointer stays on 1
        SecretVersion v2 = version(ref, 2, "pwd-2");
        SecretMetadata m2 = backend.addVersion(withCurrent(m1, 1), m1.revision(), v2);
        assertTrue(m2.revision() > m1.revision());
        assertEquals(1, m2.currentVersion());
        assertEquals(v1, backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version(), "pending is not current");
        StoredSecret explicit2 = backend.readSecret(ref, OptionalInt.of(2)).orElseThrow();
        assertEquals(v2, explicit2.version());
        assertEquals(m2, explicit2.metadata());

        // promote it
        SecretMetadata m3 = backend.updateSecretMetadata(withCurrent(m2, 2), m2.revision());
        assertTrue(m3.revision() > m2.revision());
        assertEquals(2, m3.currentVersion());
        assertEquals(Optional.of(m3), backend.getSecretMetadata(ref));
        assertEquals(v2, backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version());
        assertEquals(v1, backend.readSecret(ref, OptionalInt.of(1)).orElseThrow().version(), "previous stays readable");

        // add and make current in one step
        SecretVersion v3 = version(ref, 3, "pwd-3");
        SecretMetadata m4 = backend.addVersion(withCurrent(m3, 3), m3.revision(), v3);
        assertEquals(3, m4.currentVersion());
        StoredSecret current = backend.readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(m4, current.metadata());
        assertEquals(v3, current.version());
        assertEquals(List.of(v1, v2, v3), backend.listVersions(ref), "oldest first");

        // move the pointer back (rollback to a previous version)
        SecretMetadata m5 = backend.updateSecretMetadata(withCurrent(m4, 1), m4.revision());
        assertEquals(v1, backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version());
        assertEquals(m5, backend.readSecret(ref, OptionalInt.of(3)).orElseThrow().metadata());
    }

    @Test
    void secretAddVersionConflictsAndErrors() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "KEY");
        SecretMetadata m1 = backend.createSecret(secret(ref), version(ref, 1, "v1"));
        SecretMetadata m2 = backend.addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "v2"));

        String canary = "canary-" + uniqueId("value");
        VaultException stale = assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend.addVersion(withCurrent(m1, 3), m1.revision(), version(ref, 3, canary)));
        assertNoValueIn(stale, canary);
        assertCode(ErrorCode.ALREADY_EXISTS,
                () -> backend.addVersion(withCurrent(m2, 2), m2.revision(), version(ref, 2, canary)));
        assertEquals(2, backend.listVersions(ref).size(), "failed adds store nothing");
        assertEquals(Optional.of(m2), backend.getSecretMetadata(ref), "failed adds leave the metadata alone");
        assertArrayEquals(utf8("v2"), backend.readSecret(ref, OptionalInt.of(2)).orElseThrow().version().value());

        SecretRef missing = new SecretRef(org, "agent_1", "MISSING");
        assertCode(ErrorCode.SECRET_NOT_FOUND,
                () -> backend.addVersion(secret(missing, 2, Map.of(), Map.of()), 1, version(missing, 2, "x")));
        assertEquals(List.of(), backend.listVersions(missing));
    }

    @Test
    void secretUpdateMetadataReplacesMapsAndChecksRevision() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "KEY");
        SecretMetadata m1 = backend.createSecret(secret(ref, 1, Map.of("a", "1", "b", "2"), Map.of("x", "1")),
                version(ref, 1, "v1"));
        SecretMetadata m2 = backend.updateSecretMetadata(withMaps(m1, Map.of("b", "3"), Map.of()), m1.revision());
        assertEquals(Map.of("b", "3"), m2.metadata(), "labels are replaced, not merged");
        assertEquals(Map.of(), m2.attributes());
        assertEquals(Optional.of(m2), backend.getSecretMetadata(ref));

        assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend.updateSecretMetadata(withMaps(m1, Map.of("c", "4"), Map.of()), m1.revision()));
        assertEquals(Optional.of(m2), backend.getSecretMetadata(ref));
        SecretRef missing = new SecretRef(org, "agent_1", "MISSING");
        assertCode(ErrorCode.SECRET_NOT_FOUND, () -> backend.updateSecretMetadata(secret(missing), 1));
        assertEquals(Optional.empty(), backend.getSecretMetadata(missing), "update never creates");
    }

    @Test
    void secretDeleteRemovesMetadataAndAllVersions() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "KEY");
        SecretRef sibling = new SecretRef(org, "agent_1", "KEY_2");
        SecretMetadata m1 = backend.createSecret(secret(ref), version(ref, 1, "v1"));
        SecretMetadata m2 = backend.addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "v2"));
        SecretMetadata s1 = backend.createSecret(secret(sibling), version(sibling, 1, "sibling"));

        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend.deleteSecret(ref, m1.revision()));
        assertTrue(backend.readSecret(ref, OptionalInt.empty()).isPresent(), "a failed delete keeps the secret");

        backend.deleteSecret(ref, m2.revision());
        assertEquals(Optional.empty(), backend.readSecret(ref, OptionalInt.empty()));
        assertEquals(Optional.empty(), backend.readSecret(ref, OptionalInt.of(1)));
        assertEquals(Optional.empty(), backend.getSecretMetadata(ref));
        assertEquals(List.of(), backend.listVersions(ref));
        assertEquals(List.of(s1), backend.listSecrets(org, "agent_1", PageRequest.first(10)).items());
        assertCode(ErrorCode.SECRET_NOT_FOUND, () -> backend.deleteSecret(ref, m2.revision()));

        // a re-created secret does not inherit the old versions
        SecretVersion fresh = version(ref, 1, "fresh");
        SecretMetadata again = backend.createSecret(secret(ref), fresh);
        assertEquals(1, again.revision());
        assertEquals(List.of(fresh), backend.listVersions(ref));
    }

    @Test
    void secretRevisionsStrictlyIncreaseAcrossAllWrites() {
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "KEY");
        SecretMetadata m = backend.createSecret(secret(ref), version(ref, 1, "v1"));
        long last = m.revision();
        for (int v = 2; v <= 6; v++) {
            m = backend.addVersion(withCurrent(m, v - 1), m.revision(), version(ref, v, "v" + v));
            assertTrue(m.revision() > last, "addVersion revision " + m.revision() + " > " + last);
            last = m.revision();
            m = backend.updateSecretMetadata(withCurrent(m, v), m.revision());
            assertTrue(m.revision() > last, "updateSecretMetadata revision " + m.revision() + " > " + last);
            last = m.revision();
        }
        assertEquals(last, backend.getSecretMetadata(ref).orElseThrow().revision());
        assertEquals(List.of(1, 2, 3, 4, 5, 6), backend.listVersions(ref).stream().map(SecretVersion::version).toList());
    }

    @Test
    void listSecretsReturnsMetadataOrderedByKey() {
        backend.createIdentity(identity(org, "agent_1"));
        List<String> keys = List.of("b", "A", "a", "Z_1", "_x", "0", "a.b", "a-b", "aa");
        for (String k : keys) {
            SecretRef ref = new SecretRef(org, "agent_1", k);
            backend.createSecret(secret(ref, 1, Map.of("k", k), Map.of()), version(ref, 1, "value-of-" + k));
        }
        Page<SecretMetadata> page = backend.listSecrets(org, "agent_1", PageRequest.first(100));
        assertEquals(new ArrayList<>(new TreeSet<>(keys)), page.items().stream().map(m -> m.ref().key()).toList(),
                "ordered by key in binary (code point) order");
        page.items().forEach(m -> assertEquals(Map.of("k", m.ref().key()), m.metadata()));
        assertEquals(Optional.empty(), page.nextCursor(), "a page holding everything is the last");
        assertEquals(List.of(), backend.listSecrets(org, "agent_2", PageRequest.first(10)).items());
    }

    // ================================================================ records

    @Test
    void recordCreateStoresRevisionOneAndRoundTrips() {
        byte[] value = utf8("{\"token\":\"hash\"}");
        StoredRecord created = backend.putRecord(namespace, "tok_1", value, 0);
        assertEquals(1, created.revision());
        assertEquals(namespace, created.namespace());
        assertEquals("tok_1", created.key());
        assertArrayEquals(value, created.value());
        assertEquals(Optional.of(created), backend.getRecord(namespace, "tok_1"),
                "the returned record is what is stored, updatedAt included");
        assertEquals(Optional.empty(), backend.getRecord(namespace, "tok_2"));
    }

    @Test
    void recordDuplicateCreateIsAlreadyExists() {
        StoredRecord created = backend.putRecord(namespace, "k", utf8("one"), 0);
        assertCode(ErrorCode.ALREADY_EXISTS, () -> backend.putRecord(namespace, "k", utf8("two"), 0));
        assertEquals(Optional.of(created), backend.getRecord(namespace, "k"));
    }

    @Test
    void recordReplaceChecksRevisionAndExistence() {
        StoredRecord r1 = backend.putRecord(namespace, "k", utf8("one"), 0);
        StoredRecord r2 = backend.putRecord(namespace, "k", utf8("two"), r1.revision());
        assertTrue(r2.revision() > r1.revision());
        assertArrayEquals(utf8("two"), backend.getRecord(namespace, "k").orElseThrow().value());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend.putRecord(namespace, "k", utf8("three"), r1.revision()));
        assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend.putRecord(namespace, "k", utf8("three"), r2.revision() + 5));
        assertEquals(Optional.of(r2), backend.getRecord(namespace, "k"), "failed replaces changed nothing");
        assertCode(ErrorCode.NOT_FOUND, () -> backend.putRecord(namespace, "missing", utf8("x"), 3));
        assertEquals(Optional.empty(), backend.getRecord(namespace, "missing"), "a replace never creates");
    }

    @Test
    void recordDeleteChecksRevisionAndExistence() {
        StoredRecord r1 = backend.putRecord(namespace, "k", utf8("one"), 0);
        StoredRecord r2 = backend.putRecord(namespace, "k", utf8("two"), r1.revision());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend.deleteRecord(namespace, "k", r1.revision()));
        assertEquals(Optional.of(r2), backend.getRecord(namespace, "k"));
        backend.deleteRecord(namespace, "k", r2.revision());
        assertEquals(Optional.empty(), backend.getRecord(namespace, "k"));
        assertCode(ErrorCode.NOT_FOUND, () -> backend.deleteRecord(namespace, "k", r2.revision()));
        assertEquals(1, backend.putRecord(namespace, "k", utf8("again"), 0).revision(), "re-created at revision 1");
    }

    @Test
    void recordNamespacesAreIsolated() {
        String other = uniqueId("ns");
        backend.putRecord(namespace, "shared", utf8("mine"), 0);
        backend.putRecord(other, "shared", utf8("theirs"), 0);
        backend.putRecord(other, "only-there", utf8("x"), 0);
        assertArrayEquals(utf8("mine"), backend.getRecord(namespace, "shared").orElseThrow().value());
        assertArrayEquals(utf8("theirs"), backend.getRecord(other, "shared").orElseThrow().value());
        assertEquals(List.of("shared"), keysOf(backend.listRecords(namespace, PageRequest.first(10)), StoredRecord::key));
        StoredRecord mine = backend.getRecord(namespace, "shared").orElseThrow();
        backend.deleteRecord(namespace, "shared", mine.revision());
        assertTrue(backend.getRecord(other, "shared").isPresent(), "deleting in one namespace leaves the other");
        assertEquals(Optional.empty(), backend.getRecord(namespace, "only-there"));
    }

    @Test
    void listRecordsOrderedByKeyInBinaryOrder() {
        List<String> keys = List.of("b", "A", "a", "Z", "_", "0", "a/b", "a.b", "a-b", "aa", "tok:1");
        for (String k : keys) {
            backend.putRecord(namespace, k, utf8(k), 0);
        }
        Page<StoredRecord> page = backend.listRecords(namespace, PageRequest.first(PageRequest.MAX_LIMIT));
        assertEquals(new ArrayList<>(new TreeSet<>(keys)), keysOf(page, StoredRecord::key));
        page.items().forEach(r -> assertArrayEquals(utf8(r.key()), r.value()));
        assertEquals(Optional.empty(), page.nextCursor());
        assertEquals(List.of(), backend.listRecords(uniqueId("ns"), PageRequest.first(10)).items());
    }

    // ================================================================ pagination

    @Test
    void identitiesPaginateWithoutGapsOrDuplicates() {
        List<String> ids = IntStream.range(0, 23).mapToObj(i -> String.format("agent_%03d", i)).toList();
        ids.forEach(id -> backend.createIdentity(identity(org, id)));
        backend.createIdentity(identity(otherOrg, "agent_005x"));
        for (int limit : new int[] {1, 5, 7, 23, 100}) {
            assertEquals(ids, pageThrough(p -> backend.listIdentities(org, p), Identity::id, limit, () -> { }),
                    "all identities in order with page size " + limit);
        }
    }

    @Test
    void secretsPaginateWithoutGapsOrDuplicates() {
        backend.createIdentity(identity(org, "agent_1"));
        backend.createIdentity(identity(org, "agent_2"));
        List<String> keys = IntStream.range(0, 17).mapToObj(i -> "KEY_" + (char) ('A' + i)).toList();
        for (String k : keys) {
            SecretRef ref = new SecretRef(org, "agent_1", k);
            backend.createSecret(secret(ref), version(ref, 1, k));
        }
        SecretRef elsewhere = new SecretRef(org, "agent_2", "KEY_AA");
        backend.createSecret(secret(elsewhere), version(elsewhere, 1, "x"));
        for (int limit : new int[] {1, 4, 17, 1000}) {
            assertEquals(keys, pageThrough(p -> backend.listSecrets(org, "agent_1", p), m -> m.ref().key(), limit,
                    () -> { }), "all secrets in order with page size " + limit);
        }
    }

    @Test
    void recordsPaginateWithoutGapsOrDuplicates() {
        List<String> keys = IntStream.range(0, 31).mapToObj(i -> String.format("rec/%02d", i)).toList();
        keys.forEach(k -> backend.putRecord(namespace, k, utf8(k), 0));
        backend.putRecord(uniqueId("ns"), "rec/05a", utf8("x"), 0);
        for (int limit : new int[] {1, 6, 10, 31, 32}) {
            assertEquals(keys, pageThrough(p -> backend.listRecords(namespace, p), StoredRecord::key, limit, () -> { }),
                    "all records in order with page size " + limit);
        }
    }

    @Test
    void identityCursorStaysValidWhenItemsAreAddedAndRemoved() {
        List<String> even = IntStream.range(0, 20).mapToObj(i -> String.format("id_%02d", 2 * i)).toList();
        even.forEach(id -> backend.createIdentity(identity(org, id)));
        // first page: id_00..id_08; then change the listing around and behind the cursor
        List<String> seen = pageThrough(p -> backend.listIdentities(org, p), Identity::id, 5, () -> {
            backend.createIdentity(identity(org, "id_01"));    // behind the cursor: not returned
            backend.createIdentity(identity(org, "id_09"));    // ahead: returned
            backend.createIdentity(identity(org, "id_99"));    // at the end: returned
            deleteIdentity("id_08");                           // the cursor's own item
            deleteIdentity("id_10");                           // ahead: not returned
        });
        assertEquals(expectedAfterChanges(even, "id_"), seen);
    }

    @Test
    void secretCursorStaysValidWhenItemsAreAddedAndRemoved() {
        backend.createIdentity(identity(org, "agent_1"));
        List<String> even = IntStream.range(0, 20).mapToObj(i -> String.format("K_%02d", 2 * i)).toList();
        even.forEach(this::createSecretNamed);
        List<String> seen = pageThrough(p -> backend.listSecrets(org, "agent_1", p), m -> m.ref().key(), 5, () -> {
            createSecretNamed("K_01");
            createSecretNamed("K_09");
            createSecretNamed("K_99");
            SecretRef k08 = new SecretRef(org, "agent_1", "K_08");
            backend.deleteSecret(k08, backend.getSecretMetadata(k08).orElseThrow().revision());
            SecretRef k10 = new SecretRef(org, "agent_1", "K_10");
            backend.deleteSecret(k10, backend.getSecretMetadata(k10).orElseThrow().revision());
        });
        assertEquals(expectedAfterChanges(even, "K_"), seen);
    }

    @Test
    void recordCursorStaysValidWhenItemsAreAddedAndRemoved() {
        List<String> even = IntStream.range(0, 20).mapToObj(i -> String.format("r_%02d", 2 * i)).toList();
        even.forEach(k -> backend.putRecord(namespace, k, utf8(k), 0));
        List<String> seen = pageThrough(p -> backend.listRecords(namespace, p), StoredRecord::key, 5, () -> {
            backend.putRecord(namespace, "r_01", utf8("new"), 0);
            backend.putRecord(namespace, "r_09", utf8("new"), 0);
            backend.putRecord(namespace, "r_99", utf8("new"), 0);
            backend.deleteRecord(namespace, "r_08", backend.getRecord(namespace, "r_08").orElseThrow().revision());
            backend.deleteRecord(namespace, "r_10", backend.getRecord(namespace, "r_10").orElseThrow().revision());
        });
        assertEquals(expectedAfterChanges(even, "r_"), seen);
    }

    @Test
    void emptyListingsHaveNoCursor() {
        Page<Identity> identities = backend.listIdentities(org, PageRequest.first(10));
        assertEquals(List.of(), identities.items());
        assertEquals(Optional.empty(), identities.nextCursor());
        Page<StoredRecord> records = backend.listRecords(namespace, PageRequest.first(10));
        assertEquals(List.of(), records.items());
        assertEquals(Optional.empty(), records.nextCursor());
        Page<SecretMetadata> secrets = backend.listSecrets(org, "nobody", PageRequest.first(10));
        assertEquals(List.of(), secrets.items());
        assertEquals(Optional.empty(), secrets.nextCursor());
    }

    // ================================================================ isolation

    @Test
    void organizationsNeverMix() {
        Identity a = backend.createIdentity(identity(org, "agent_123", Map.of("org", "a")));
        Identity b = backend.createIdentity(identity(otherOrg, "agent_123", Map.of("org", "b")));
        SecretRef refA = new SecretRef(org, "agent_123", "OPENAI_API_KEY");
        SecretRef refB = new SecretRef(otherOrg, "agent_123", "OPENAI_API_KEY");
        backend.createSecret(secret(refA), version(refA, 1, "value-a"));
        SecretMetadata mb = backend.createSecret(secret(refB), version(refB, 1, "value-b"));

        assertEquals(Map.of("org", "a"), backend.getIdentity(org, "agent_123").orElseThrow().metadata());
        assertEquals(Map.of("org", "b"), backend.getIdentity(otherOrg, "agent_123").orElseThrow().metadata());
        assertArrayEquals(utf8("value-a"), backend.readSecret(refA, OptionalInt.empty()).orElseThrow().version().value());
        assertArrayEquals(utf8("value-b"), backend.readSecret(refB, OptionalInt.empty()).orElseThrow().version().value());
        assertEquals(List.of(a), backend.listIdentities(org, PageRequest.first(10)).items());
        assertEquals(List.of(b), backend.listIdentities(otherOrg, PageRequest.first(10)).items());

        // writes in one organization do not touch the other
        SecretMetadata ma = backend.getSecretMetadata(refA).orElseThrow();
        backend.addVersion(withCurrent(ma, 2), ma.revision(), version(refA, 2, "value-a2"));
        assertEquals(Optional.of(mb), backend.getSecretMetadata(refB));
        assertEquals(1, backend.listVersions(refB).size());
        backend.deleteIdentity(org, "agent_123", a.revision());
        assertEquals(Optional.of(b), backend.getIdentity(otherOrg, "agent_123"));
        assertArrayEquals(utf8("value-b"), backend.readSecret(refB, OptionalInt.empty()).orElseThrow().version().value());
        assertEquals(Optional.empty(), backend.readSecret(refA, OptionalInt.empty()));
    }

    @Test
    void identitiesOfOneOrganizationNeverMix() {
        backend.createIdentity(identity(org, "agent_1"));
        backend.createIdentity(identity(org, "agent_2"));
        SecretRef one = new SecretRef(org, "agent_1", "SHARED_KEY");
        SecretRef two = new SecretRef(org, "agent_2", "SHARED_KEY");
        SecretMetadata m1 = backend.createSecret(secret(one, 1, Map.of("who", "1"), Map.of()), version(one, 1, "one"));
        SecretMetadata m2 = backend.createSecret(secret(two, 1, Map.of("who", "2"), Map.of()), version(two, 1, "two"));
        assertArrayEquals(utf8("one"), backend.readSecret(one, OptionalInt.empty()).orElseThrow().version().value());
        assertArrayEquals(utf8("two"), backend.readSecret(two, OptionalInt.empty()).orElseThrow().version().value());
        assertEquals(List.of(m1), backend.listSecrets(org, "agent_1", PageRequest.first(10)).items());
        assertEquals(List.of(m2), backend.listSecrets(org, "agent_2", PageRequest.first(10)).items());
        backend.deleteSecret(one, m1.revision());
        assertEquals(Optional.of(m2), backend.getSecretMetadata(two));
        assertEquals(1, backend.listVersions(two).size());
    }

    // ================================================================ values and maps

    @Test
    void secretValuesRoundTripByteExact() {
        backend.createIdentity(identity(org, "agent_1"));
        List<byte[]> values = new ArrayList<>();
        if (supportsBinaryValues()) {
            values.add(allByteValues());
            values.add(new byte[0]);
            values.add(new byte[] {0});
            values.add(new byte[] {(byte) 0xC3, 0x28, 0, 0, (byte) 0xFF}); // invalid UTF-8, trailing zeros
            values.add(randomBytes(64 * 1024));
        }
        values.add(utf8("pässwörd 🔑 \u0000 \r\n\t ' \" \\ ; -- "));
        values.add(utf8(" leading and trailing spaces "));

        SecretRef ref = new SecretRef(org, "agent_1", "BYTES");
        SecretMetadata m = backend.createSecret(secret(ref), version(ref, 1, values.get(0)));
        for (int i = 1; i < values.size(); i++) {
            m = backend.addVersion(withCurrent(m, i + 1), m.revision(), version(ref, i + 1, values.get(i)));
        }
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), backend.readSecret(ref, OptionalInt.of(i + 1)).orElseThrow().version().value(),
                    "value of version " + (i + 1));
        }
        assertArrayEquals(values.get(values.size() - 1),
                backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version().value());
        List<SecretVersion> listed = backend.listVersions(ref);
        assertEquals(values.size(), listed.size());
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), listed.get(i).value(), "listed value of version " + (i + 1));
        }
    }

    @Test
    void recordValuesRoundTripByteExact() {
        List<byte[]> values = new ArrayList<>();
        if (supportsBinaryValues()) {
            values.add(allByteValues());
            values.add(new byte[0]);
            values.add(new byte[] {0, 0, 0});
            values.add(randomBytes(100_000));
        }
        values.add(utf8("text 🔑 \u0000 ' \" \\"));
        for (int i = 0; i < values.size(); i++) {
            StoredRecord r = backend.putRecord(namespace, "k" + i, values.get(i), 0);
            assertArrayEquals(values.get(i), r.value());
            assertArrayEquals(values.get(i), backend.getRecord(namespace, "k" + i).orElseThrow().value(), "record k" + i);
        }
        List<StoredRecord> listed = backend.listRecords(namespace, PageRequest.first(100)).items();
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), listed.get(i).value(), "listed record k" + i);
        }
        StoredRecord replaced = backend.putRecord(namespace, "k0", new byte[0], 1);
        assertArrayEquals(new byte[0], backend.getRecord(namespace, "k0").orElseThrow().value());
        assertEquals(2, replaced.revision());
    }

    @Test
    void metadataAndAttributeMapsRoundTripExactly() {
        Map<String, String> tricky = trickyMap();
        Identity id = backend.createIdentity(identity(org, "agent_1", tricky));
        assertEquals(tricky, backend.getIdentity(org, "agent_1").orElseThrow().metadata());
        assertEquals(tricky, id.metadata());

        Map<String, String> attributes = new LinkedHashMap<>(tricky);
        attributes.put("rotation", "{\"interval\":\"30d\",\"webhookUrl\":\"https://agent-api.com/rotate\"}");
        SecretRef ref = new SecretRef(org, "agent_1", "MAPS");
        backend.createSecret(secret(ref, 1, tricky, attributes), version(ref, 1, "v"));
        SecretMetadata read = backend.getSecretMetadata(ref).orElseThrow();
        assertEquals(tricky, read.metadata());
        assertEquals(attributes, read.attributes());
        assertEquals(read, backend.readSecret(ref, OptionalInt.empty()).orElseThrow().metadata());
        assertEquals(List.of(read), backend.listSecrets(org, "agent_1", PageRequest.first(5)).items());

        SecretMetadata emptied = backend.updateSecretMetadata(withMaps(read, Map.of(), Map.of()), read.revision());
        assertEquals(Map.of(), backend.getSecretMetadata(ref).orElseThrow().metadata());
        assertEquals(Map.of(), backend.getSecretMetadata(ref).orElseThrow().attributes());
        assertEquals(emptied, backend.getSecretMetadata(ref).orElseThrow());
        Identity plain = backend.updateIdentity(new Identity(org, "agent_1", "n", Map.of(), false, id.createdAt(),
                now(), 0), id.revision());
        assertEquals(Map.of(), backend.getIdentity(org, "agent_1").orElseThrow().metadata());
        assertEquals(plain, backend.getIdentity(org, "agent_1").orElseThrow());
    }

    // ================================================================ cascade

    @Test
    void deletingAnIdentityDeletesItsSecrets() {
        Identity doomed = backend.createIdentity(identity(org, "agent_1"));
        backend.createIdentity(identity(org, "agent_2"));
        SecretRef a = new SecretRef(org, "agent_1", "A");
        SecretRef b = new SecretRef(org, "agent_1", "B");
        SecretRef kept = new SecretRef(org, "agent_2", "A");
        SecretMetadata ma = backend.createSecret(secret(a), version(a, 1, "a1"));
        backend.addVersion(withCurrent(ma, 2), ma.revision(), version(a, 2, "a2"));
        backend.createSecret(secret(b), version(b, 1, "b1"));
        SecretMetadata mk = backend.createSecret(secret(kept), version(kept, 1, "kept"));

        backend.deleteIdentity(org, "agent_1", doomed.revision());
        for (SecretRef gone : List.of(a, b)) {
            assertEquals(Optional.empty(), backend.readSecret(gone, OptionalInt.empty()), gone.key());
            assertEquals(Optional.empty(), backend.readSecret(gone, OptionalInt.of(1)), gone.key());
            assertEquals(Optional.empty(), backend.getSecretMetadata(gone), gone.key());
            assertEquals(List.of(), backend.listVersions(gone), gone.key());
        }
        assertEquals(List.of(), backend.listSecrets(org, "agent_1", PageRequest.first(10)).items());
        assertEquals(List.of(mk), backend.listSecrets(org, "agent_2", PageRequest.first(10)).items());

        // the same identity id again starts empty
        backend.createIdentity(identity(org, "agent_1"));
        assertEquals(List.of(), backend.listSecrets(org, "agent_1", PageRequest.first(10)).items());
        SecretVersion fresh = version(a, 1, "fresh");
        assertEquals(1, backend.createSecret(secret(a), fresh).revision());
        assertEquals(List.of(fresh), backend.listVersions(a));
    }

    // ================================================================ concurrency

    @Test
    void concurrentConditionalUpdatesOfOneRecordLoseNothing() throws Exception {
        int writers = concurrentWriters();
        int perWriter = updatesPerWriter();
        backend.putRecord(namespace, "counter", utf8("0"), 0);
        Set<Long> successfulRevisions = ConcurrentHashMap.newKeySet();
        Set<Long> consumedExpectations = ConcurrentHashMap.newKeySet();
        AtomicInteger conflicts = new AtomicInteger();

        runConcurrently(writers, w -> {
            long lastSeenByMe = 0;
            for (int done = 0; done < perWriter; ) {
                StoredRecord current = backend.getRecord(namespace, "counter").orElseThrow();
                long n = Long.parseLong(new String(current.value(), StandardCharsets.US_ASCII));
                try {
                    StoredRecord written = backend.putRecord(namespace, "counter",
                            Long.toString(n + 1).getBytes(StandardCharsets.US_ASCII), current.revision());
                    assertTrue(written.revision() > current.revision(),
                            "new revision " + written.revision() + " > read revision " + current.revision());
                    assertTrue(written.revision() > lastSeenByMe, "revisions one writer sees strictly increase");
                    assertTrue(successfulRevisions.add(written.revision()),
                            "two writes succeeded with revision " + written.revision());
                    assertTrue(consumedExpectations.add(current.revision()),
                            "two writers both succeeded against expected revision " + current.revision());
                    lastSeenByMe = written.revision();
                    done++;
                } catch (VaultException e) {
                    if (e.errorCode() != ErrorCode.REVISION_CONFLICT) {
                        throw e;
                    }
                    conflicts.incrementAndGet();
                }
            }
        });

        StoredRecord end = backend.getRecord(namespace, "counter").orElseThrow();
        assertEquals(Long.toString((long) writers * perWriter), new String(end.value(), StandardCharsets.US_ASCII),
                "final counter (" + conflicts.get() + " conflicts were retried)");
        assertEquals(writers * perWriter, successfulRevisions.size());
        assertEquals(successfulRevisions.stream().mapToLong(Long::longValue).max().orElseThrow(), end.revision(),
                "the stored revision is the last successful one");
    }

    @Test
    void concurrentAddVersionLosesNoVersion() throws Exception {
        int writers = concurrentWriters();
        int perWriter = 25;
        backend.createIdentity(identity(org, "agent_1"));
        SecretRef ref = new SecretRef(org, "agent_1", "ROTATING");
        backend.createSecret(secret(ref), version(ref, 1, "w-initial"));
        Set<String> written = ConcurrentHashMap.newKeySet();

        runConcurrently(writers, w -> {
            for (int i = 0; i < perWriter; i++) {
                String value = "w" + w + "-" + i;
                while (true) {
                    SecretMetadata m = backend.getSecretMetadata(ref).orElseThrow();
                    int next = m.currentVersion() + 1; // every add makes its version current
                    try {
                        SecretMetadata after = backend.addVersion(withCurrent(m, next), m.revision(),
                                version(ref, next, value));
                        assertEquals(next, after.currentVersion());
                        assertTrue(written.add(value));
                        break;
                    } catch (VaultException e) {
                        // another writer got in between the two reads or before the write
                        if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                            throw e;
                        }
                    }
                }
            }
        });

        int total = writers * perWriter + 1;
        List<SecretVersion> versions = backend.listVersions(ref);
        assertEquals(IntStream.rangeClosed(1, total).boxed().toList(),
                versions.stream().map(SecretVersion::version).toList(), "versions 1.." + total + " without gaps");
        Set<String> stored = versions.stream().skip(1).map(v -> new String(v.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toSet());
        assertEquals(written, stored, "every successfully added value is stored exactly once");
        StoredSecret current = backend.readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(total, current.metadata().currentVersion());
        assertEquals(versions.get(total - 1), current.version());
    }

    @Test
    void racingCreatesHaveExactlyOneWinner() throws Exception {
        int writers = concurrentWriters();
        AtomicInteger identityWins = new AtomicInteger();
        AtomicInteger recordWins = new AtomicInteger();
        AtomicInteger secretWins = new AtomicInteger();
        backend.createIdentity(identity(org, "owner"));
        for (int round = 0; round < 5; round++) {
            String id = "racer_" + round;
            String key = "race-" + round;
            SecretRef sref = new SecretRef(org, "owner", "RACE_" + round);
            runConcurrently(writers, w -> {
                expectWinOrAlreadyExists(identityWins, () -> backend.createIdentity(identity(org, id, Map.of("w", "" + w))));
                expectWinOrAlreadyExists(recordWins, () -> backend.putRecord(namespace, key, utf8("w" + w), 0));
                expectWinOrAlreadyExists(secretWins,
                        () -> backend.createSecret(secret(sref), version(sref, 1, "w" + w)));
            });
            assertEquals(round + 1, identityWins.get(), "one identity create wins in round " + round);
            assertEquals(round + 1, recordWins.get(), "one record create wins in round " + round);
            assertEquals(round + 1, secretWins.get(), "one secret create wins in round " + round);
            assertEquals(1, backend.listVersions(sref).size());
        }
    }

    // ================================================================ helpers

    /** Asserts that {@code call} throws a {@link VaultException} with the given code; returns it. */
    protected static VaultException assertCode(ErrorCode expected, Executable call) {
        VaultException e = assertThrows(VaultException.class, call, "expected " + expected);
        assertEquals(expected, e.errorCode(), "error code (message: " + e.getMessage() + ")");
        assertNotNull(e.getMessage(), "errors carry a message");
        return e;
    }

    private static void assertNoValueIn(Throwable e, String value) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(value), "an error message contains the secret value");
            assertFalse(t.toString().contains(value), "an error's toString contains the secret value");
        }
    }

    private static void expectWinOrAlreadyExists(AtomicInteger wins, Executable create) {
        try {
            create.execute();
            wins.incrementAndGet();
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                throw e;
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static Identity rename(Identity i, String name) {
        return new Identity(i.organizationId(), i.id(), name, i.metadata(), i.disabled(), i.createdAt(), now(),
                i.revision());
    }

    private void deleteIdentity(String id) {
        backend.deleteIdentity(org, id, backend.getIdentity(org, id).orElseThrow().revision());
    }

    private void createSecretNamed(String key) {
        SecretRef ref = new SecretRef(org, "agent_1", key);
        backend.createSecret(secret(ref), version(ref, 1, key));
    }

    /** The listing after the changes the cursor tests make to 00, 02, ..., 38 after a first page of 5. */
    private static List<String> expectedAfterChanges(List<String> even, String prefix) {
        List<String> expected = new ArrayList<>(even);
        expected.removeAll(List.of(prefix + "08", prefix + "10"));
        expected.add(prefix + "09");
        expected.add(prefix + "99");
        expected.sort(null);
        expected.add(4, prefix + "08"); // it was on the first page, before it was deleted
        return expected;
    }

    private static <T> List<String> keysOf(Page<T> page, Function<T, String> key) {
        return page.items().stream().map(key).toList();
    }

    /**
     * Follows cursors from the first page to the last and returns the keys seen in order, checking
     * page sizes, order and the absence of duplicates. {@code afterFirstPage} runs once, between the
     * first and the second page.
     */
    private static <T> List<String> pageThrough(Function<PageRequest, Page<T>> list, Function<T, String> key,
                                                int limit, Runnable afterFirstPage) {
        List<String> seen = new ArrayList<>();
        Set<String> unique = new HashSet<>();
        Optional<String> cursor = Optional.empty();
        for (int pageNo = 0; ; pageNo++) {
            if (pageNo > 10_000) {
                fail("pagination does not end");
            }
            Page<T> page = list.apply(new PageRequest(limit, cursor));
            assertTrue(page.items().size() <= limit, "page of " + page.items().size() + " items exceeds limit " + limit);
            for (T item : page.items()) {
                String k = key.apply(item);
                assertTrue(unique.add(k), "item " + k + " returned twice");
                if (!seen.isEmpty()) {
                    assertTrue(seen.get(seen.size() - 1).compareTo(k) < 0,
                            "item " + k + " after " + seen.get(seen.size() - 1) + " is out of order");
                }
                seen.add(k);
            }
            if (page.nextCursor().isEmpty()) {
                return seen;
            }
            assertFalse(page.items().isEmpty(), "an empty page must not carry a cursor");
            if (pageNo == 0) {
                afterFirstPage.run();
            }
            cursor = page.nextCursor();
        }
    }

    // ---------------------------------------------------------------- leases

    @Test
    void aFreeLeaseIsGrantedAndAHeldOneIsNot() {
        String name = "lease/" + namespace;
        Optional<Lease> a = backend.tryAcquireLease(name, "node-a", Duration.ofMinutes(1));
        assertTrue(a.isPresent(), "a free lease is granted");
        assertEquals("node-a", a.get().owner());
        assertEquals(name, a.get().name());
        assertTrue(a.get().expiresAt().isAfter(java.time.Instant.now().plusSeconds(30)));
        assertTrue(backend.tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).isEmpty(), "held by node-a");
        Optional<Lease> again = backend.tryAcquireLease(name, "node-a", Duration.ofMinutes(2));
        assertTrue(again.isPresent(), "the holder may take it again (extends it)");
        assertTrue(again.get().fence() >= a.get().fence());
        assertTrue(backend.tryAcquireLease("other/" + namespace, "node-b", Duration.ofMinutes(1)).isPresent(),
                "leases of other names are independent");
    }

    @Test
    void anExpiredLeaseGoesToTheNextOwnerWithAGreaterFence() throws Exception {
        String name = "lease/" + namespace;
        Lease a = backend.tryAcquireLease(name, "node-a", Duration.ofMillis(300)).orElseThrow();
        Thread.sleep(450);
        Lease b = backend.tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).orElseThrow(
                () -> new AssertionError("an expired lease must be granted to another owner"));
        assertTrue(b.fence() > a.fence(), "fence grows with every grant");
        assertTrue(backend.renewLease(a, Duration.ofMinutes(1)).isEmpty(), "the old holder cannot renew");
        backend.releaseLease(a); // a no-op for the lost grant
        assertTrue(backend.tryAcquireLease(name, "node-c", Duration.ofMinutes(1)).isEmpty(), "node-b still holds it");
    }

    @Test
    void renewExtendsAndReleaseFreesAtOnce() {
        String name = "lease/" + namespace;
        Lease a = backend.tryAcquireLease(name, "node-a", Duration.ofSeconds(5)).orElseThrow();
        Lease renewed = backend.renewLease(a, Duration.ofMinutes(10)).orElseThrow(
                () -> new AssertionError("the holder renews"));
        assertTrue(renewed.expiresAt().isAfter(java.time.Instant.now().plusSeconds(300)));
        assertTrue(renewed.fence() >= a.fence());
        assertTrue(backend.tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).isEmpty());
        backend.releaseLease(renewed);
        backend.releaseLease(renewed); // idempotent
        Lease b = backend.tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).orElseThrow(
                () -> new AssertionError("a released lease is free at once"));
        assertTrue(b.fence() > renewed.fence());
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend.tryAcquireLease("", "x", Duration.ofSeconds(1)));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend.tryAcquireLease(name, "x", Duration.ZERO));
    }

    @Test
    void racingOwnersGetALeaseExactlyOnce() throws Exception {
        String name = "lease/" + namespace;
        AtomicInteger granted = new AtomicInteger();
        runConcurrently(concurrentWriters(), w -> {
            if (backend.tryAcquireLease(name, "node-" + w, Duration.ofMinutes(1)).isPresent()) {
                granted.incrementAndGet();
            }
        });
        assertEquals(1, granted.get(), "exactly one of the racing owners holds the lease");
    }

    /** A functional block run by one writer thread. */
    @FunctionalInterface
    private interface Writer {
        void run(int writerIndex) throws Exception;
    }

    /** Runs {@code writers} threads that start together and waits for all; rethrows the first failure. */
    private static void runConcurrently(int writers, Writer writer) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int index = w;
                futures.add(pool.submit(() -> {
                    start.await();
                    writer.run(index);
                    return null;
                }));
            }
            start.countDown();
            long deadline = System.nanoTime() + CONCURRENCY_DEADLINE.toNanos();
            for (Future<?> f : futures) {
                long left = deadline - System.nanoTime();
                try {
                    f.get(Math.max(left, 1), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception ex) {
                        throw ex;
                    }
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw e;
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("concurrent writers did not finish within " + CONCURRENCY_DEADLINE);
                }
            }
        } finally {
            pool.shutdownNow();
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                fail("writer threads did not stop");
            }
        }
    }

    /** Map entries that break naive encodings: separators, quotes, escapes, Unicode, empty strings. */
    private static Map<String, String> trickyMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("plain", "value");
        m.put("empty", "");
        m.put("", "empty key");
        m.put("with=equals,comma;semi", "a=b,c;d");
        m.put("quotes\"'`", "\"quoted\" 'single'");
        m.put("back\\slash", "C:\\path\\n not a newline");
        m.put("new\nline", "tab\there\r\nCRLF");
        m.put("json{", "{\"k\":[1,2]}");
        m.put("unicode-ключ", "значение 🔑 中文 \u00e9\u0301");
        m.put("control", "\u0000\u0001\u001f\u007f");
        m.put("long", "x".repeat(4096));
        for (int i = 0; i < 40; i++) {
            m.put("label." + i, "v" + i);
        }
        return m;
    }
}
