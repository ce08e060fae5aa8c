package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageFixtures.uniqueId;
import static java.util.Objects.requireNonNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.StorageBackend;
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
 * <p><b>Groups.</b> The tests live in one interface a concern, each a group of {@code @Test} default methods
 * this class implements: {@link IdentityContract}, {@link SecretContract}, {@link VersionRewriteContract},
 * {@link RecordContract}, {@link ListingContract}, {@link ConcurrencyContract} and {@link LeaseContract}. They
 * run as tests of the extending class, with its {@code @BeforeEach}/{@code @AfterEach} and {@code @TempDir}
 * fields, and are reported under its name.
 *
 * <p><b>Behaviour flags</b>: override {@link #supportsBinaryValues()} for a backend that only stores
 * text values, and {@link #concurrentWriters()}/{@link #updatesPerWriter()} for a backend whose
 * writes are slow (a remote service); the defaults are 8 threads x 500 updates.
 */
public abstract class StorageBackendContract implements IdentityContract, SecretContract, VersionRewriteContract,
        RecordContract, ListingContract, ConcurrencyContract, LeaseContract {

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

    /** This instance, for the groups' default methods (see {@link StorageContractGroup}). */
    @Override
    public final StorageBackendContract contract() {
        return this;
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

    // ================================================================ helpers

    /** Asserts that {@code call} throws a {@link VaultException} with the given code; returns it. */
    protected static VaultException assertCode(ErrorCode expected, Executable call) {
        return StorageContractSupport.assertCode(expected, call);
    }
}
