package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.ChangeNotifying;
import dev.animavault.spi.storage.ExclusiveLockFile;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageChange;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * A {@link StorageBackend} on SQLite or PostgreSQL through HikariCP and Jdbi. Values are stored as
 * given ({@link Protection#NONE}: core hands over ciphertext).
 *
 * <p>Conditional writes are {@code UPDATE/DELETE ... WHERE revision = :expected} statements whose row
 * count decides success; on a miss a second look inside the same transaction tells a missing item
 * from a stale revision. Creates use {@code INSERT ... ON CONFLICT DO NOTHING} and report
 * {@code ALREADY_EXISTS} when no row was inserted. Every write runs in a transaction that has committed
 * (and, with the dialect's durability settings, reached the disk) before the method returns; on SQLite
 * that transaction may also hold other callers' writes (group commit), each behind its own savepoint.
 *
 * <p>SQLite: writes are serialized through one connection and begin with
 * {@code BEGIN IMMEDIATE} (so a transaction never has to upgrade a read lock, the source of
 * {@code SQLITE_BUSY} deadlocks); concurrent writes are committed in groups ({@link SqliteGroupCommit}:
 * one transaction and one fsync for all writes waiting, each with its own savepoint and outcome); reads use a separate pool and, in WAL mode, never wait for the
 * writer. PostgreSQL: one pool, READ COMMITTED transactions, retried on serialization failure or
 * deadlock. The per-request reads run on {@link ReadSessions} (plain JDBC, statements prepared once per
 * connection), not Jdbi.
 *
 * <p><b>Read cache</b> (SQLite by default, {@code read-cache}): {@code readSecret} results are kept in a
 * {@link SecretReadCache}, written through: every write goes through {@link JdbcAccess#write}, which after the
 * transaction bumps the cache's write epoch and drops what the write may have changed (the secret's
 * reads for secret writes, everything for identity updates and deletes) before returning. Coherent only
 * while this process is the database's only writer, hence the {@link SqliteLockFile} held meanwhile.
 *
 * <p>Thread-safe. {@link #close()} closes the pools and is idempotent.
 *
 * <p>Layout: this class wires the parts and answers the SPI by delegating to them: {@link JdbcAccess}
 * (pools, transactions, per-request reads, read cache invalidation, change notification, closing),
 * {@link HotQueries} (the per-request SQL and its row mappers), {@link IdentityStore},
 * {@link SecretStore}, {@link RecordStore}, {@link LeaseStore} and {@link Listing} (the keyset pages).
 */
final class JdbcStorageBackend implements StorageBackend, ChangeNotifying {

    private final JdbcAccess db;
    private final IdentityStore identities;
    private final SecretStore secrets;
    private final RecordStore records;
    private final LeaseStore leases;
    private final Listing listing;

    /**
     * @param settings  the validated settings
     * @param readPool  the pool for reads (on PostgreSQL the same as {@code writePool})
     * @param writePool the pool for writes (on SQLite: one connection, BEGIN IMMEDIATE)
     * @param hot       the sessions of the per-request reads ({@link #HOT_QUERIES}); closed by {@link #close()}
     * @param cache     the read cache of {@code readSecret}, or null for none
     * @param lock      the lock on the SQLite file held while the cache is used, or null; released by
     *                  {@link #close()}
     * @param clock     the clock for record timestamps
     */
    JdbcStorageBackend(JdbcSettings settings, DataSource readPool, DataSource writePool,
                       ReadSessions hot, SecretReadCache cache, ExclusiveLockFile lock, Clock clock) {
        requireNonNull(clock, "clock is null");
        this.db = new JdbcAccess(settings, readPool, writePool, hot, cache, lock);
        this.identities = new IdentityStore(db);
        this.secrets = new SecretStore(db, cache);
        this.records = new RecordStore(db, clock);
        this.leases = new LeaseStore(db, clock);
        this.listing = new Listing(db);
    }

    /** Starts change notification (PostgreSQL); called once by the factory after the migrations. */
    void startChangeChannel(PgChangeChannel channel) {
        db.startChangeChannel(channel);
    }

    /**
     * On PostgreSQL: changes committed by any node, through {@code LISTEN/NOTIFY} ({@link PgChangeChannel}).
     * On SQLite: nothing is ever delivered (this process is the database's only writer).
     */
    @Override
    public AutoCloseable subscribe(Consumer<StorageChange> listener) {
        requireNonNull(listener, "listener is null");
        PgChangeChannel c = db.changes();
        return c == null ? () -> { } : c.subscribe(listener);
    }

    @Override
    public Duration fallbackBound() {
        PgChangeChannel c = db.changes();
        return c == null ? Duration.ZERO : c.fallback();
    }

    /** Test hook: the change channel (PostgreSQL), or null. */
    PgChangeChannel changeChannel() {
        return db.changes();
    }

    /** Test hook: the sessions of the per-request reads. */
    ReadSessions readSessions() {
        return db.hot();
    }

    /** Test hook: the group commit of SQLite writes, or null on PostgreSQL. */
    SqliteGroupCommit groupCommit() {
        return db.groupCommit();
    }

    /** Test hook: the read cache, or null when off. */
    SecretReadCache readCache() {
        return db.cache();
    }

    /** Test hook: how many {@code readSecret} calls went to the database (cache misses, or all without cache). */
    long secretReadsFromDatabase() {
        return secrets.secretReadsFromDatabase();
    }

    /** Jdbi on the pool writes use; migrations run on it. */
    Jdbi writer() {
        return db.writer();
    }

    /** The pool writes use; the migration check runs on it. */
    DataSource writePool() {
        return db.writePool();
    }

    /** Test hook: whether Jdbi has been set up (it is at the first write or migration, not before). */
    boolean jdbiMade() {
        return db.jdbiMade();
    }

    @Override
    public Protection protection() {
        return Protection.NONE;
    }

    // ---------------------------------------------------------------- identities

    @Override
    public Identity createIdentity(Identity identity) {
        return identities.createIdentity(identity);
    }

    @Override
    public Optional<Identity> getIdentity(String organizationId, String identityId) {
        return identities.getIdentity(organizationId, identityId);
    }

    @Override
    public Identity updateIdentity(Identity identity, long expectedRevision) {
        return identities.updateIdentity(identity, expectedRevision);
    }

    @Override
    public void deleteIdentity(String organizationId, String identityId, long expectedRevision) {
        identities.deleteIdentity(organizationId, identityId, expectedRevision);
    }

    @Override
    public Page<Identity> listIdentities(String organizationId, PageRequest page) {
        return listing.listIdentities(organizationId, page);
    }

    // ---------------------------------------------------------------- secrets

    @Override
    public SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion) {
        return secrets.createSecret(metadata, firstVersion);
    }

    @Override
    public Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version) {
        return secrets.readSecret(ref, version);
    }

    @Override
    public Optional<SecretMetadata> getSecretMetadata(SecretRef ref) {
        return secrets.getSecretMetadata(ref);
    }

    @Override
    public SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        return secrets.addVersion(metadata, expectedRevision, newVersion);
    }

    /** One conditional UPDATE: the blob comparison is the condition (keyring re-encryption). */
    @Override
    public boolean replaceVersionValue(SecretRef ref, int version, byte[] expected, byte[] replacement) {
        return secrets.replaceVersionValue(ref, version, expected, replacement);
    }

    /** See {@link SecretStore#destroyVersion}. */
    @Override
    public boolean destroyVersion(SecretRef ref, int version) {
        return secrets.destroyVersion(ref, version);
    }

    @Override
    public SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        return secrets.updateSecretMetadata(metadata, expectedRevision);
    }

    @Override
    public List<SecretVersion> listVersions(SecretRef ref) {
        return secrets.listVersions(ref);
    }

    @Override
    public void deleteSecret(SecretRef ref, long expectedRevision) {
        secrets.deleteSecret(ref, expectedRevision);
    }

    @Override
    public Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        return listing.listSecrets(organizationId, identityId, page);
    }

    // ---------------------------------------------------------------- records

    @Override
    public Optional<StoredRecord> getRecord(String namespace, String key) {
        return records.getRecord(namespace, key);
    }

    @Override
    public StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        return records.putRecord(namespace, key, value, expectedRevision);
    }

    @Override
    public void deleteRecord(String namespace, String key, long expectedRevision) {
        records.deleteRecord(namespace, key, expectedRevision);
    }

    @Override
    public Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        return listing.listRecords(namespace, page);
    }

    // ---------------------------------------------------------------- leases

    /** See {@link LeaseStore#tryAcquireLease}. */
    @Override
    public Optional<Lease> tryAcquireLease(String name, String owner, Duration ttl) {
        return leases.tryAcquireLease(name, owner, ttl);
    }

    @Override
    public Optional<Lease> renewLease(Lease lease, Duration ttl) {
        return leases.renewLease(lease, ttl);
    }

    @Override
    public void releaseLease(Lease lease) {
        leases.releaseLease(lease);
    }

    // ---------------------------------------------------------------- health

    /**
     * One {@code SELECT 1} on a connection of the read pool: the database answers (PostgreSQL: a round
     * trip to the server; SQLite: the database file is open and the pool has a working connection). Reads
     * no table, so nothing sealed is touched.
     */
    @Override
    public void probe() {
        db.probe();
    }

    @Override
    public void close() {
        db.close();
    }

    @Override
    public String toString() {
        return "JdbcStorageBackend[" + db.dialect() + " " + db.redactedUrl() + "]";
    }
}
