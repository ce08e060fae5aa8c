package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.StringMapJson;
import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.ChangeNotifying;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageChange;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

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
 * {@link SecretReadCache}, written through: every write goes through {@link #write}, which after the
 * transaction bumps the cache's write epoch and drops what the write may have changed (the secret's
 * reads for secret writes, everything for identity updates and deletes) before returning. Coherent only
 * while this process is the database's only writer, hence the {@link SqliteLockFile} held meanwhile.
 *
 * <p>Thread-safe. {@link #close()} closes the pools and is idempotent.
 */
final class JdbcStorageBackend implements StorageBackend, ChangeNotifying {

    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9_./-]{1,64}");
    private static final int MAX_RECORD_KEY_LENGTH = 256;
    private static final int MAX_ATTEMPTS = 5;

    private static final String SECRET_COLUMNS = "s.org_id, s.identity_id, s.secret_key, s.type, s.current_version, "
            + "s.metadata, s.attributes, s.created_at, s.updated_at, s.revision";
    // The per-request reads, by ReadSessions index; positional parameters (org, identity, key[, version]).
    // The row's key columns are not selected: the caller's key objects are reused.
    private static final String SECRET_VALUE_COLUMNS = "s.type, s.current_version, s.metadata, s.attributes, "
            + "s.created_at, s.updated_at, s.revision";
    private static final String SECRET_JOIN = " FROM secrets s JOIN secret_versions v ON v.org_id = s.org_id"
            + " AND v.identity_id = s.identity_id AND v.secret_key = s.secret_key";
    private static final String VERSION_COLUMNS = ", v.version, v.value, v.created_at, v.created_by";
    static final int READ_SECRET_CURRENT = 0;
    static final int READ_SECRET_VERSION = 1;
    static final int SECRET_METADATA = 2;
    static final int IDENTITY_BY_ID = 3;
    static final int RECORD_BY_KEY = 4;
    /** The SQL of the per-request reads, indexed by the constants above. */
    static final String[] HOT_QUERIES = {
        "SELECT " + SECRET_VALUE_COLUMNS + VERSION_COLUMNS + SECRET_JOIN + " AND v.version = s.current_version"
                + " WHERE s.org_id = ? AND s.identity_id = ? AND s.secret_key = ?",
        "SELECT " + SECRET_VALUE_COLUMNS + VERSION_COLUMNS + SECRET_JOIN
                + " WHERE s.org_id = ? AND s.identity_id = ? AND s.secret_key = ? AND v.version = ?",
        "SELECT " + SECRET_VALUE_COLUMNS + " FROM secrets s WHERE s.org_id = ? AND s.identity_id = ? AND s.secret_key = ?",
        "SELECT name, metadata, disabled, created_at, updated_at, revision FROM identities WHERE org_id = ? AND id = ?",
        "SELECT value, revision, updated_at FROM records WHERE namespace = ? AND record_key = ?",
    };

    /**
     * The listings: keyset pagination on the primary key's last column after an equality on the ones
     * before it, so both dialects answer a page from the primary key index (a range scan stopping after
     * {@code limit} rows, no sort), whatever the table's size; {@code ListingPlanTest} checks the plans.
     * Named parameters: the prefix's columns, {@code :after} (with a cursor) and {@code :limit}.
     */
    static String listIdentitiesSql(boolean after) {
        return "SELECT org_id, id, name, metadata, disabled, created_at, updated_at, revision FROM identities"
                + " WHERE org_id = :org" + (after ? " AND id > :after" : "") + " ORDER BY id LIMIT :limit";
    }

    /** See {@link #listIdentitiesSql}. */
    static String listSecretsSql(boolean after) {
        return "SELECT " + SECRET_COLUMNS + " FROM secrets s WHERE s.org_id = :org AND s.identity_id = :identity"
                + (after ? " AND s.secret_key > :after" : "") + " ORDER BY s.secret_key LIMIT :limit";
    }

    /** See {@link #listIdentitiesSql}. */
    static String listRecordsSql(boolean after) {
        return "SELECT namespace, record_key, value, revision, updated_at FROM records WHERE namespace = :ns"
                + (after ? " AND record_key > :after" : "") + " ORDER BY record_key LIMIT :limit";
    }

    private final Dialect dialect;
    private final String redactedUrl;
    private final Clock clock;
    private final DataSource readPool;
    private final DataSource writePool;
    /** The PostgreSQL pool with its outage breaker (the same object as both pools); null on SQLite. */
    private final PostgresPool postgres;
    /** LISTEN/NOTIFY between nodes (PostgreSQL); null on SQLite, whose file has one writing process. */
    private volatile PgChangeChannel changes;
    private final Jdbi reader;
    private final Jdbi writer;
    /** The per-request reads: plain JDBC, statements prepared once per connection. */
    private final ReadSessions hot;
    /** Serializes SQLite writers in this process and commits them in groups; null on PostgreSQL. */
    private final SqliteGroupCommit groupCommit;
    private final long writeLockTimeoutMillis;
    /** The read cache of {@code readSecret}; null when off. */
    private final SecretReadCache cache;
    /** The lock on the SQLite file that the cache requires; null when the cache is off. */
    private final SqliteLockFile lock;
    /** Test hook: {@code readSecret} calls that went to the database. */
    private final LongAdder secretReadsFromDatabase = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** What a write may change, for the read cache: which secrets' cached reads it drops. */
    private enum Affects {
        /** No secret's stored state (records, a new identity): only the epoch moves. */
        NO_SECRET,
        /** The one secret passed along: all its cached reads (every version). */
        ONE_SECRET,
        /** Any secret (identity updates and deletes, whose delete cascades): the whole cache. */
        ALL_SECRETS
    }

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
                       ReadSessions hot, SecretReadCache cache, SqliteLockFile lock, Clock clock) {
        requireNonNull(settings, "settings is null");
        this.dialect = settings.dialect();
        this.redactedUrl = settings.redactedUrl();
        this.readPool = requireNonNull(readPool, "readPool is null");
        this.writePool = requireNonNull(writePool, "writePool is null");
        if (!(readPool instanceof AutoCloseable) || !(writePool instanceof AutoCloseable)) {
            throw new IllegalArgumentException("the pools must be closeable");
        }
        this.postgres = readPool instanceof PostgresPool p ? p : null;
        this.hot = requireNonNull(hot, "hot is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.reader = jdbi(readPool);
        this.writer = readPool == writePool ? reader : jdbi(writePool);
        this.groupCommit = dialect == Dialect.SQLITE ? new SqliteGroupCommit(writer) : null;
        this.writeLockTimeoutMillis = settings.connectionTimeout().toMillis();
        if (cache != null && (dialect != Dialect.SQLITE || lock == null)) {
            throw new IllegalArgumentException("the read cache needs SQLite and its lock file");
        }
        this.cache = cache;
        this.lock = lock;
    }

    private static Jdbi jdbi(DataSource pool) {
        Jdbi jdbi = Jdbi.create(pool);
        // listings bind :after only when a cursor is given; readSecret binds :version only when asked
        jdbi.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
        return jdbi;
    }

    /** Starts change notification (PostgreSQL); called once by the factory after the migrations. */
    void startChangeChannel(PgChangeChannel channel) {
        this.changes = requireNonNull(channel, "channel is null");
    }

    /**
     * On PostgreSQL: changes committed by any node, through {@code LISTEN/NOTIFY} ({@link PgChangeChannel}).
     * On SQLite: nothing is ever delivered (this process is the database's only writer).
     */
    @Override
    public AutoCloseable subscribe(Consumer<StorageChange> listener) {
        requireNonNull(listener, "listener is null");
        PgChangeChannel c = changes;
        return c == null ? () -> { } : c.subscribe(listener);
    }

    @Override
    public java.time.Duration fallbackBound() {
        PgChangeChannel c = changes;
        return c == null ? java.time.Duration.ZERO : c.fallback();
    }

    /** Test hook: the change channel (PostgreSQL), or null. */
    PgChangeChannel changeChannel() {
        return changes;
    }

    /** Test hook: the sessions of the per-request reads. */
    ReadSessions readSessions() {
        return hot;
    }

    /** Test hook: the group commit of SQLite writes, or null on PostgreSQL. */
    SqliteGroupCommit groupCommit() {
        return groupCommit;
    }

    /** Test hook: the read cache, or null when off. */
    SecretReadCache readCache() {
        return cache;
    }

    /** Test hook: how many {@code readSecret} calls went to the database (cache misses, or all without cache). */
    long secretReadsFromDatabase() {
        return secretReadsFromDatabase.sum();
    }

    /** The pool writes use; migrations run on it. */
    Jdbi writer() {
        return writer;
    }

    @Override
    public Protection protection() {
        return Protection.NONE;
    }

    // ---------------------------------------------------------------- identities

    @Override
    public Identity createIdentity(Identity identity) {
        requireNonNull(identity, "identity is null");
        Identity stored = normalize(identity).withRevision(1);
        // a new identity has no secrets yet (foreign key), and misses are not cached
        write("createIdentity", Affects.NO_SECRET, null,
                StorageChange.identity(stored.organizationId(), stored.id()), h -> {
            int n = h.createUpdate("INSERT INTO identities (org_id, id, name, metadata, disabled, created_at, "
                            + "updated_at, revision) VALUES (:org, :id, :name, :metadata, :disabled, :createdAt, "
                            + ":updatedAt, 1) ON CONFLICT DO NOTHING")
                    .bind("org", stored.organizationId())
                    .bind("id", stored.id())
                    .bind("name", stored.name())
                    .bind("metadata", StringMapJson.encode(stored.metadata()))
                    .bind("disabled", stored.disabled())
                    .bind("createdAt", Codec.micros(stored.createdAt()))
                    .bind("updatedAt", Codec.micros(stored.updatedAt()))
                    .execute();
            if (n == 0) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "identity '" + stored.id()
                        + "' already exists in organization '" + stored.organizationId() + "'");
            }
            return null;
        });
        return stored;
    }

    @Override
    public Optional<Identity> getIdentity(String organizationId, String identityId) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(identityId, "identityId is null");
        return hotRead("getIdentity", IDENTITY_BY_ID, organizationId, identityId, null, 0, null,
                JdbcStorageBackend::identityRow);
    }

    @Override
    public Identity updateIdentity(Identity identity, long expectedRevision) {
        requireNonNull(identity, "identity is null");
        Identity in = normalize(identity);
        return write("updateIdentity", Affects.ALL_SECRETS, null,
                StorageChange.identity(in.organizationId(), in.id()), h -> {
            Optional<Long> createdAt = h.createQuery("UPDATE identities SET name = :name, metadata = :metadata, "
                            + "disabled = :disabled, updated_at = :updatedAt, revision = revision + 1 "
                            + "WHERE org_id = :org AND id = :id AND revision = :expected RETURNING created_at")
                    .bind("name", in.name())
                    .bind("metadata", StringMapJson.encode(in.metadata()))
                    .bind("disabled", in.disabled())
                    .bind("updatedAt", Codec.micros(in.updatedAt()))
                    .bind("org", in.organizationId())
                    .bind("id", in.id())
                    .bind("expected", expectedRevision)
                    .mapTo(Long.class)
                    .findOne();
            if (createdAt.isEmpty()) {
                throw identityMiss(h, in.organizationId(), in.id(), expectedRevision);
            }
            return new Identity(in.organizationId(), in.id(), in.name(), in.metadata(), in.disabled(),
                    Codec.instant(createdAt.get()), in.updatedAt(), expectedRevision + 1);
        });
    }

    @Override
    public void deleteIdentity(String organizationId, String identityId, long expectedRevision) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(identityId, "identityId is null");
        write("deleteIdentity", Affects.ALL_SECRETS, null,
                StorageChange.identity(organizationId, identityId), h -> {
            // secrets and versions go with it: ON DELETE CASCADE
            int n = h.createUpdate("DELETE FROM identities WHERE org_id = :org AND id = :id AND revision = :expected")
                    .bind("org", organizationId)
                    .bind("id", identityId)
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw identityMiss(h, organizationId, identityId, expectedRevision);
            }
            return null;
        });
    }

    @Override
    public Page<Identity> listIdentities(String organizationId, PageRequest page) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        return read("listIdentities", h -> page(h.createQuery(listIdentitiesSql(after.isPresent()))
                .bind("org", organizationId)
                .bind("after", after.orElse(null))
                .bind("limit", page.limit() + 1)
                .map(IDENTITY)
                .list(), page.limit(), Identity::id));
    }

    private static VaultException identityMiss(Handle h, String org, String id, long expectedRevision) {
        Optional<Long> revision = h.createQuery("SELECT revision FROM identities WHERE org_id = :org AND id = :id")
                .bind("org", org)
                .bind("id", id)
                .mapTo(Long.class)
                .findOne();
        if (revision.isEmpty()) {
            return new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity '" + id
                    + "' does not exist in organization '" + org + "'");
        }
        return new VaultException(ErrorCode.REVISION_CONFLICT, "identity '" + id + "' in organization '" + org
                + "' is at revision " + revision.get() + ", not " + expectedRevision);
    }

    // ---------------------------------------------------------------- secrets

    @Override
    public SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(firstVersion, "firstVersion is null");
        SecretRef ref = metadata.ref();
        if (!firstVersion.ref().equals(ref)) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the first version of secret '" + ref.key()
                    + "' belongs to another secret ('" + firstVersion.ref().key() + "')");
        }
        if (firstVersion.version() != metadata.currentVersion()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "secret '" + ref.key() + "': the first version is "
                    + firstVersion.version() + " but the metadata's current version is " + metadata.currentVersion());
        }
        SecretMetadata stored = normalize(metadata).withRevision(1);
        // encoded before the write: the SQLite writer's turn is serial, so work done in it is work every
        // concurrent writer waits for
        String metadataJson = StringMapJson.encode(stored.metadata());
        String attributesJson = StringMapJson.encode(stored.attributes());
        write("createSecret", Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            // No look-up of the identity first: the foreign key (org_id, identity_id) -> identities, enforced
            // in both dialects (SQLite foreign_keys=true), refuses the insert when it is missing; ON CONFLICT
            // DO NOTHING covers only the primary key. One statement less in the single SQLite writer's turn.
            int n;
            try {
                n = PlainUpdate.run(h, "INSERT INTO secrets (org_id, identity_id, secret_key, type, current_version, "
                                + "metadata, attributes, created_at, updated_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
                                + "ON CONFLICT DO NOTHING", ref.organizationId(), ref.identityId(), ref.key(), stored.type(),
                        stored.currentVersion(), metadataJson, attributesJson, Codec.micros(stored.createdAt()),
                        Codec.micros(stored.updatedAt()));
            } catch (RuntimeException e) {
                SQLException sql = SqlErrors.sqlCause(e);
                if (sql != null && SqlErrors.classify(sql) == SqlErrors.Kind.FOREIGN_KEY_VIOLATION) {
                    throw missingIdentity(ref); // no such identity (or deleted meanwhile)
                }
                throw e;
            }
            if (n == 0) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "secret '" + ref.key() + "' already exists for identity '"
                        + ref.identityId() + "' in organization '" + ref.organizationId() + "'");
            }
            insertVersion(h, firstVersion);
            return null;
        });
        return stored;
    }

    @Override
    public Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version) {
        requireNonNull(ref, "ref is null");
        requireNonNull(version, "version is null");
        int v = version.isPresent() ? version.getAsInt() : SecretReadCache.CURRENT;
        if (cache == null || (version.isPresent() && v < 1)) { // versions start at 1: nothing to cache
            return readSecretFromDatabase(ref, version);
        }
        checkOpen("readSecret");
        Optional<StoredSecret> cached = cache.get(ref, v);
        if (cached != null) {
            return cached;
        }
        long e0 = cache.epoch(); // before the database read: see SecretReadCache
        Optional<StoredSecret> read = readSecretFromDatabase(ref, version);
        if (read.isPresent()) {
            cache.put(ref, v, read.get(), e0);
        }
        return read;
    }

    /** One query: the metadata joined with the requested (or current) version. */
    private Optional<StoredSecret> readSecretFromDatabase(SecretRef ref, OptionalInt version) {
        secretReadsFromDatabase.increment();
        return version.isPresent()
                ? hotRead("readSecret", READ_SECRET_VERSION, ref.organizationId(), ref.identityId(), ref.key(),
                        version.getAsInt(), ref, JdbcStorageBackend::storedSecretRow)
                : hotRead("readSecret", READ_SECRET_CURRENT, ref.organizationId(), ref.identityId(), ref.key(), 0,
                        ref, JdbcStorageBackend::storedSecretRow);
    }

    @Override
    public Optional<SecretMetadata> getSecretMetadata(SecretRef ref) {
        requireNonNull(ref, "ref is null");
        return hotRead("getSecretMetadata", SECRET_METADATA, ref.organizationId(), ref.identityId(), ref.key(), 0,
                ref, JdbcStorageBackend::secretMetadataRow);
    }

    @Override
    public SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(newVersion, "newVersion is null");
        SecretRef ref = metadata.ref();
        if (!newVersion.ref().equals(ref)) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the new version of secret '" + ref.key()
                    + "' belongs to another secret ('" + newVersion.ref().key() + "')");
        }
        SecretMetadata in = normalize(metadata);
        return write("addVersion", Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            SecretMetadata updated = updateSecretRow(h, in, expectedRevision);
            int highest = highestVersion(h, ref);
            if (newVersion.version() <= highest) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "version " + newVersion.version() + " of secret '"
                        + ref.key() + "' already exists");
            }
            if (newVersion.version() != highest + 1) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "secret '" + ref.key() + "': the next version is "
                        + (highest + 1) + ", not " + newVersion.version());
            }
            if (in.currentVersion() > newVersion.version()) {
                throw currentBeyondVersions(ref, in.currentVersion(), newVersion.version());
            }
            insertVersion(h, newVersion);
            return updated;
        });
    }

    /** One conditional UPDATE: the blob comparison is the condition (keyring re-encryption). */
    @Override
    public boolean replaceVersionValue(SecretRef ref, int version, byte[] expected, byte[] replacement) {
        requireNonNull(ref, "ref is null");
        requireNonNull(expected, "expected is null");
        requireNonNull(replacement, "replacement is null");
        return write("replaceVersionValue", Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> h.createUpdate(
                        "UPDATE secret_versions SET value = :replacement WHERE org_id = :org AND identity_id = :identity "
                                + "AND secret_key = :key AND version = :version AND value = :expected")
                .bind("replacement", replacement)
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .bind("version", version)
                .bind("expected", expected)
                .execute() == 1);
    }

    /**
     * One DELETE of the version row, checked against the secret's current version in the same
     * transaction. SQLite connections run with {@code secure_delete}, so the freed page is zeroed;
     * PostgreSQL removes the dead tuple at its next vacuum.
     */
    @Override
    public boolean destroyVersion(SecretRef ref, int version) {
        requireNonNull(ref, "ref is null");
        return write("destroyVersion", Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            Optional<Integer> current = h.createQuery("SELECT current_version FROM secrets WHERE org_id = :org "
                            + "AND identity_id = :identity AND secret_key = :key")
                    .bind("org", ref.organizationId())
                    .bind("identity", ref.identityId())
                    .bind("key", ref.key())
                    .mapTo(Integer.class)
                    .findOne();
            if (current.isEmpty()) {
                return false;
            }
            if (version >= current.get()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "version " + version + " of secret " + ref.key()
                        + " is not below the current version " + current.get() + " and cannot be destroyed");
            }
            return h.createUpdate("DELETE FROM secret_versions WHERE org_id = :org AND identity_id = :identity "
                            + "AND secret_key = :key AND version = :version")
                    .bind("org", ref.organizationId())
                    .bind("identity", ref.identityId())
                    .bind("key", ref.key())
                    .bind("version", version)
                    .execute() == 1;
        });
    }

    @Override
    public SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        requireNonNull(metadata, "metadata is null");
        SecretMetadata in = normalize(metadata);
        return write("updateSecretMetadata", Affects.ONE_SECRET, in.ref(), StorageChange.secret(in.ref()), h -> {
            SecretMetadata updated = updateSecretRow(h, in, expectedRevision);
            int highest = highestVersion(h, in.ref());
            if (in.currentVersion() > highest) {
                throw currentBeyondVersions(in.ref(), in.currentVersion(), highest);
            }
            return updated;
        });
    }

    @Override
    public List<SecretVersion> listVersions(SecretRef ref) {
        requireNonNull(ref, "ref is null");
        return read("listVersions", h -> h.createQuery("SELECT version, value, created_at, created_by "
                        + "FROM secret_versions WHERE org_id = :org AND identity_id = :identity AND secret_key = :key "
                        + "ORDER BY version")
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .map((rs, ctx) -> new SecretVersion(ref, rs.getInt("version"), Codec.bytes(rs.getBytes("value")),
                        Codec.instant(rs.getLong("created_at")), rs.getString("created_by")))
                .list());
    }

    @Override
    public void deleteSecret(SecretRef ref, long expectedRevision) {
        requireNonNull(ref, "ref is null");
        write("deleteSecret", Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            // versions go with it: ON DELETE CASCADE
            int n = h.createUpdate("DELETE FROM secrets WHERE org_id = :org AND identity_id = :identity "
                            + "AND secret_key = :key AND revision = :expected")
                    .bind("org", ref.organizationId())
                    .bind("identity", ref.identityId())
                    .bind("key", ref.key())
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw secretMiss(h, ref, expectedRevision);
            }
            return null;
        });
    }

    @Override
    public Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(identityId, "identityId is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        return read("listSecrets", h -> page(h.createQuery(listSecretsSql(after.isPresent()))
                .bind("org", organizationId)
                .bind("identity", identityId)
                .bind("after", after.orElse(null))
                .bind("limit", page.limit() + 1)
                .map((rs, ctx) -> secretMetadata(rs))
                .list(), page.limit(), m -> m.ref().key()));
    }

    /** The conditional update of a secret's row; returns the stored metadata with its new revision. */
    private static SecretMetadata updateSecretRow(Handle h, SecretMetadata in, long expectedRevision) {
        SecretRef ref = in.ref();
        Optional<Long> createdAt = h.createQuery("UPDATE secrets SET type = :type, current_version = :current, "
                        + "metadata = :metadata, attributes = :attributes, updated_at = :updatedAt, "
                        + "revision = revision + 1 WHERE org_id = :org AND identity_id = :identity "
                        + "AND secret_key = :key AND revision = :expected RETURNING created_at")
                .bind("type", in.type())
                .bind("current", in.currentVersion())
                .bind("metadata", StringMapJson.encode(in.metadata()))
                .bind("attributes", StringMapJson.encode(in.attributes()))
                .bind("updatedAt", Codec.micros(in.updatedAt()))
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .bind("expected", expectedRevision)
                .mapTo(Long.class)
                .findOne();
        if (createdAt.isEmpty()) {
            throw secretMiss(h, ref, expectedRevision);
        }
        return new SecretMetadata(ref, in.type(), in.currentVersion(), in.metadata(), in.attributes(),
                Codec.instant(createdAt.get()), in.updatedAt(), expectedRevision + 1);
    }

    private static int highestVersion(Handle h, SecretRef ref) {
        return h.createQuery("SELECT MAX(version) FROM secret_versions "
                        + "WHERE org_id = :org AND identity_id = :identity AND secret_key = :key")
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .mapTo(Integer.class)
                .findOne()
                .orElse(0);
    }

    private static void insertVersion(Handle h, SecretVersion v) {
        SecretRef ref = v.ref();
        PlainUpdate.run(h, "INSERT INTO secret_versions (org_id, identity_id, secret_key, version, value, created_at, "
                        + "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)", ref.organizationId(), ref.identityId(), ref.key(),
                v.version(), v.value(), Codec.micros(v.createdAt()), v.createdBy());
    }

    private static VaultException secretMiss(Handle h, SecretRef ref, long expectedRevision) {
        Optional<Long> revision = h.createQuery("SELECT revision FROM secrets "
                        + "WHERE org_id = :org AND identity_id = :identity AND secret_key = :key")
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .mapTo(Long.class)
                .findOne();
        if (revision.isEmpty()) {
            return new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret '" + ref.key() + "' does not exist for identity '"
                    + ref.identityId() + "' in organization '" + ref.organizationId() + "'");
        }
        return new VaultException(ErrorCode.REVISION_CONFLICT, "secret '" + ref.key() + "' of identity '"
                + ref.identityId() + "' is at revision " + revision.get() + ", not " + expectedRevision);
    }

    private static VaultException missingIdentity(SecretRef ref) {
        return new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity '" + ref.identityId()
                + "' does not exist in organization '" + ref.organizationId() + "'");
    }

    private static VaultException currentBeyondVersions(SecretRef ref, int current, int highest) {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, "secret '" + ref.key() + "': current version "
                + current + " does not exist (highest is " + highest + ")");
    }

    // ---------------------------------------------------------------- records

    @Override
    public Optional<StoredRecord> getRecord(String namespace, String key) {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(key, "key is null");
        return hotRead("getRecord", RECORD_BY_KEY, namespace, key, null, 0, null, JdbcStorageBackend::recordRow);
    }

    @Override
    public StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        checkRecordName(namespace, key);
        requireNonNull(value, "value is null");
        if (expectedRevision < 0) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record " + namespace + "/" + key
                    + ": expected revision must be 0 (create) or positive (replace)");
        }
        byte[] bytes = value.clone();
        Instant now = Codec.stored(clock.instant());
        return write("putRecord", Affects.NO_SECRET, null, StorageChange.record(namespace, key), h -> {
            if (expectedRevision == 0) {
                int n = h.createUpdate("INSERT INTO records (namespace, record_key, value, revision, updated_at) "
                                + "VALUES (:ns, :key, :value, 1, :updatedAt) ON CONFLICT DO NOTHING")
                        .bind("ns", namespace)
                        .bind("key", key)
                        .bind("value", bytes)
                        .bind("updatedAt", Codec.micros(now))
                        .execute();
                if (n == 0) {
                    throw new VaultException(ErrorCode.ALREADY_EXISTS, "record " + namespace + "/" + key
                            + " already exists");
                }
                return new StoredRecord(namespace, key, bytes, 1, now);
            }
            int n = h.createUpdate("UPDATE records SET value = :value, revision = revision + 1, updated_at = :updatedAt "
                            + "WHERE namespace = :ns AND record_key = :key AND revision = :expected")
                    .bind("value", bytes)
                    .bind("updatedAt", Codec.micros(now))
                    .bind("ns", namespace)
                    .bind("key", key)
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw recordMiss(h, namespace, key, expectedRevision);
            }
            return new StoredRecord(namespace, key, bytes, expectedRevision + 1, now);
        });
    }

    @Override
    public void deleteRecord(String namespace, String key, long expectedRevision) {
        checkRecordName(namespace, key);
        write("deleteRecord", Affects.NO_SECRET, null, StorageChange.record(namespace, key), h -> {
            int n = h.createUpdate("DELETE FROM records WHERE namespace = :ns AND record_key = :key "
                            + "AND revision = :expected")
                    .bind("ns", namespace)
                    .bind("key", key)
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw recordMiss(h, namespace, key, expectedRevision);
            }
            return null;
        });
    }

    @Override
    public Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        return read("listRecords", h -> page(h.createQuery(listRecordsSql(after.isPresent()))
                .bind("ns", namespace)
                .bind("after", after.orElse(null))
                .bind("limit", page.limit() + 1)
                .map(RECORD)
                .list(), page.limit(), StoredRecord::key));
    }

    private static void checkRecordName(String namespace, String key) {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(key, "key is null");
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record namespace '" + namespace
                    + "' must match [a-z0-9_./-]{1,64}");
        }
        if (key.isEmpty() || key.length() > MAX_RECORD_KEY_LENGTH) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record keys in namespace '" + namespace
                    + "' must have 1 to " + MAX_RECORD_KEY_LENGTH + " characters");
        }
    }

    private static VaultException recordMiss(Handle h, String namespace, String key, long expectedRevision) {
        Optional<Long> revision = h.createQuery("SELECT revision FROM records WHERE namespace = :ns AND record_key = :key")
                .bind("ns", namespace)
                .bind("key", key)
                .mapTo(Long.class)
                .findOne();
        if (revision.isEmpty()) {
            return new VaultException(ErrorCode.NOT_FOUND, "record " + namespace + "/" + key + " does not exist");
        }
        return new VaultException(ErrorCode.REVISION_CONFLICT, "record " + namespace + "/" + key + " is at revision "
                + revision.get() + ", not " + expectedRevision);
    }

    // ---------------------------------------------------------------- leases

    /**
     * One conditional upsert on the {@code leases} table (V2): the row is inserted, or taken over when it
     * has expired or already belongs to {@code owner}; the database decides atomically, so racing nodes
     * on one PostgreSQL (or processes on one SQLite file) get it once. Expiry uses this node's clock.
     */
    @Override
    public Optional<Lease> tryAcquireLease(String name, String owner, java.time.Duration ttl) {
        Lease.checkNames(name, owner);
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "lease ttl must be positive");
        }
        Instant now = Codec.stored(clock.instant());
        Instant expiresAt = Codec.stored(now.plus(ttl));
        return write("tryAcquireLease", Affects.NO_SECRET, null, null, h -> h.createQuery(
                        "INSERT INTO leases (name, owner, expires_at, fence) VALUES (:name, :owner, :expiresAt, 1) "
                                + "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                                + "expires_at = excluded.expires_at, fence = leases.fence + 1 "
                                + "WHERE leases.expires_at <= :now OR leases.owner = :owner RETURNING fence")
                .bind("name", name)
                .bind("owner", owner)
                .bind("expiresAt", Codec.micros(expiresAt))
                .bind("now", Codec.micros(now))
                .mapTo(Long.class)
                .findOne()
                .map(fence -> new Lease(name, owner, expiresAt, fence)));
    }

    @Override
    public Optional<Lease> renewLease(Lease lease, java.time.Duration ttl) {
        requireNonNull(lease, "lease is null");
        Instant now = Codec.stored(clock.instant());
        Instant expiresAt = Codec.stored(now.plus(ttl));
        int n = write("renewLease", Affects.NO_SECRET, null, null, h -> h.createUpdate("UPDATE leases SET expires_at = "
                        + ":expiresAt WHERE name = :name AND owner = :owner AND fence = :fence AND expires_at > :now")
                .bind("expiresAt", Codec.micros(expiresAt))
                .bind("name", lease.name())
                .bind("owner", lease.owner())
                .bind("fence", lease.fence())
                .bind("now", Codec.micros(now))
                .execute());
        return n == 1 ? Optional.of(new Lease(lease.name(), lease.owner(), expiresAt, lease.fence())) : Optional.empty();
    }

    @Override
    public void releaseLease(Lease lease) {
        requireNonNull(lease, "lease is null");
        // the row stays (expired), so the next grant's fence is still greater
        write("releaseLease", Affects.NO_SECRET, null, null, h -> h.createUpdate("UPDATE leases SET expires_at = 0 "
                        + "WHERE name = :name AND owner = :owner AND fence = :fence")
                .bind("name", lease.name())
                .bind("owner", lease.owner())
                .bind("fence", lease.fence())
                .execute());
    }

    // ---------------------------------------------------------------- health

    /**
     * One {@code SELECT 1} on a connection of the read pool: the database answers (PostgreSQL: a round
     * trip to the server; SQLite: the database file is open and the pool has a working connection). Reads
     * no table, so nothing sealed is touched.
     */
    @Override
    public void probe() {
        read("probe", h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
    }

    // ---------------------------------------------------------------- plumbing

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                PgChangeChannel c = changes;
                if (c != null) {
                    c.close();
                }
                hot.close();
                if (writePool != readPool) {
                    closePool(writePool);
                }
            } finally {
                try {
                    closePool(readPool);
                } finally {
                    if (lock != null) {
                        lock.close(); // last: no connection of ours is left on the file
                    }
                }
            }
        }
    }

    private static void closePool(DataSource pool) {
        try {
            ((AutoCloseable) pool).close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The exception for a failed operation; a connection-level failure on PostgreSQL also has the pool
     * check the server at once (its outage breaker: later calls fail fast while it does not answer).
     */
    private VaultException failure(String operation, Throwable e) {
        if (postgres != null && !(e instanceof VaultException)) {
            SQLException sql = SqlErrors.sqlCause(e);
            if (sql != null && SqlErrors.classify(sql) == SqlErrors.Kind.UNAVAILABLE && !closed.get()) {
                postgres.connectionBroke(sql);
            }
        }
        return SqlErrors.translate(operation, redactedUrl, e);
    }

    @Override
    public String toString() {
        return "JdbcStorageBackend[" + dialect + " " + redactedUrl + "]";
    }

    private <T> T read(String operation, HandleCallback<T, RuntimeException> callback) {
        checkOpen(operation);
        try {
            return reader.withHandle(callback);
        } catch (RuntimeException e) {
            throw failure(operation, e);
        }
    }

    /** Maps the one row of a hot read; {@code a}, {@code b} and {@code ref} are the caller's key values. */
    @FunctionalInterface
    private interface Row<T> {
        T map(ResultSet rs, String a, String b, SecretRef ref) throws SQLException;
    }

    /**
     * A per-request read: one query with parameters {@code a}, {@code b}[, {@code c} when not null][,
     * {@code version} for {@link #READ_SECRET_VERSION}] (a kept statement keeps its bindings, so every
     * parameter of the query is bound on every call) on a {@link ReadSessions} session, at most one row. No Jdbi, no per-call statement
     * preparation; a session whose call failed is discarded.
     */
    private <T> Optional<T> hotRead(String operation, int query, String a, String b, String c, int version,
                                    SecretRef ref, Row<T> row) {
        checkOpen(operation);
        ReadSessions.Session session = null;
        boolean healthy = false;
        try {
            session = hot.acquire(operation);
            PreparedStatement ps = session.statement(query);
            ps.setString(1, a);
            ps.setString(2, b);
            if (c != null) {
                ps.setString(3, c);
            }
            if (query == READ_SECRET_VERSION) {
                ps.setInt(4, version);
            }
            Optional<T> result;
            try (ResultSet rs = ps.executeQuery()) {
                result = rs.next() ? Optional.of(row.map(rs, a, b, ref)) : Optional.empty();
            }
            healthy = true;
            return result;
        } catch (SQLException | RuntimeException e) {
            throw failure(operation, e);
        } finally {
            if (session != null) {
                hot.release(session, healthy);
            }
        }
    }

    /**
     * Runs {@code callback} as one write transaction. With the read cache, whatever the outcome (the
     * transaction may have committed even if this throws), the cache's epoch moves and what
     * {@code affects} names ({@code ref} for {@link Affects#ONE_SECRET}) is dropped before this returns.
     */
    private <T> T write(String operation, Affects affects, SecretRef ref, StorageChange change,
                        HandleCallback<T, RuntimeException> callback) {
        checkOpen(operation);
        if (changes != null && change != null) {
            // delivered to every listening node when, and only if, the transaction commits
            HandleCallback<T, RuntimeException> inner = callback;
            callback = h -> {
                T result = inner.withHandle(h);
                PgChangeChannel.notify(h, change);
                return result;
            };
        }
        if (cache == null) {
            return writeTransaction(operation, callback);
        }
        try {
            return writeTransaction(operation, callback);
        } finally {
            switch (affects) {
                case NO_SECRET -> cache.afterWriteToNoSecret();
                case ONE_SECRET -> cache.afterWrite(ref);
                case ALL_SECRETS -> cache.afterWriteToAll();
            }
        }
    }

    private <T> T writeTransaction(String operation, HandleCallback<T, RuntimeException> callback) {
        if (groupCommit == null) {
            return writePostgres(operation, callback);
        }
        try {
            // the writer pool's transactions BEGIN IMMEDIATE; concurrent writes share one commit
            return groupCommit.run(callback, writeLockTimeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, operation + " was interrupted", e);
        } catch (SqliteGroupCommit.TimeoutException e) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage at " + redactedUrl + ": " + operation
                    + " waited " + writeLockTimeoutMillis + " ms for the write lock");
        } catch (RuntimeException e) {
            throw failure(operation, e);
        }
    }

    private <T> T writePostgres(String operation, HandleCallback<T, RuntimeException> callback) {
        for (int attempt = 1; ; attempt++) {
            try {
                return writer.inTransaction(TransactionIsolationLevel.READ_COMMITTED, callback);
            } catch (RuntimeException e) {
                SQLException sql = e instanceof VaultException ? null : SqlErrors.sqlCause(e);
                if (sql != null && SqlErrors.classify(sql) == SqlErrors.Kind.RETRYABLE && attempt < MAX_ATTEMPTS) {
                    continue; // deadlock or serialization failure: the transaction was rolled back
                }
                throw failure(operation, e);
            }
        }
    }

    private void checkOpen(String operation) {
        if (closed.get()) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage backend " + dialect + " " + redactedUrl
                    + " is closed (" + operation + ")");
        }
    }

    /** Cuts timestamps to the stored precision so returned objects equal later reads. */
    private static Identity normalize(Identity i) {
        return new Identity(i.organizationId(), i.id(), i.name(), i.metadata(), i.disabled(),
                Codec.stored(i.createdAt()), Codec.stored(i.updatedAt()), i.revision());
    }

    private static SecretMetadata normalize(SecretMetadata m) {
        return new SecretMetadata(m.ref(), m.type(), m.currentVersion(), m.metadata(), m.attributes(),
                Codec.stored(m.createdAt()), Codec.stored(m.updatedAt()), m.revision());
    }

    private static <T> Page<T> page(List<T> rows, int limit, Function<T, String> key) {
        if (rows.size() <= limit) {
            return Page.last(rows);
        }
        List<T> items = new ArrayList<>(rows.subList(0, limit));
        return new Page<>(items, Optional.of(Codec.cursor(key.apply(items.get(limit - 1)))));
    }

    private static SecretMetadata secretMetadata(ResultSet rs) throws SQLException {
        SecretRef ref = new SecretRef(rs.getString("org_id"), rs.getString("identity_id"), rs.getString("secret_key"));
        return new SecretMetadata(ref, rs.getString("type"), rs.getInt("current_version"),
                StringMapJson.decode(rs.getString("metadata")), StringMapJson.decode(rs.getString("attributes")),
                Codec.instant(rs.getLong("created_at")), Codec.instant(rs.getLong("updated_at")),
                rs.getLong("revision"));
    }

    private static final RowMapper<Identity> IDENTITY = (rs, ctx) -> new Identity(rs.getString("org_id"),
            rs.getString("id"), rs.getString("name"), StringMapJson.decode(rs.getString("metadata")),
            rs.getBoolean("disabled"), Codec.instant(rs.getLong("created_at")), Codec.instant(rs.getLong("updated_at")),
            rs.getLong("revision"));

    private static final RowMapper<StoredRecord> RECORD = (rs, ctx) -> new StoredRecord(rs.getString("namespace"),
            rs.getString("record_key"), Codec.bytes(rs.getBytes("value")), rs.getLong("revision"),
            Codec.instant(rs.getLong("updated_at")));

    // Hot-read rows, by column index (see HOT_QUERIES); the key columns come from the caller.

    private static SecretMetadata secretMetadataRow(ResultSet rs, String a, String b, SecretRef ref) throws SQLException {
        return new SecretMetadata(ref, rs.getString(1), rs.getInt(2), StringMapJson.decode(rs.getString(3)),
                StringMapJson.decode(rs.getString(4)), Codec.instant(rs.getLong(5)), Codec.instant(rs.getLong(6)),
                rs.getLong(7));
    }

    private static StoredSecret storedSecretRow(ResultSet rs, String a, String b, SecretRef ref) throws SQLException {
        SecretMetadata m = secretMetadataRow(rs, a, b, ref);
        SecretVersion v = new SecretVersion(ref, rs.getInt(8), Codec.bytes(rs.getBytes(9)),
                Codec.instant(rs.getLong(10)), rs.getString(11));
        return new StoredSecret(m, v);
    }

    private static Identity identityRow(ResultSet rs, String org, String id, SecretRef unused) throws SQLException {
        return new Identity(org, id, rs.getString(1), StringMapJson.decode(rs.getString(2)), rs.getBoolean(3),
                Codec.instant(rs.getLong(4)), Codec.instant(rs.getLong(5)), rs.getLong(6));
    }

    private static StoredRecord recordRow(ResultSet rs, String namespace, String key, SecretRef unused)
            throws SQLException {
        return new StoredRecord(namespace, key, Codec.bytes(rs.getBytes(1)), rs.getLong(2),
                Codec.instant(rs.getLong(3)));
    }
}
