package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ExclusiveLockFile;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageChange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * How every store of {@link JdbcStorageBackend} reaches the database: reads on the read pool (Jdbi),
 * the per-request reads on {@link ReadSessions}, and write transactions (SQLite: through
 * {@link SqliteGroupCommit}; PostgreSQL: READ COMMITTED, retried on serialization failure or deadlock),
 * each followed by the read cache's invalidation and, on PostgreSQL, a change notification delivered
 * on commit. Failures become {@link VaultException}s ({@link SqlErrors}). Owns the pools, the sessions,
 * the change channel and the SQLite lock file, and closes them ({@link #close()}, idempotent).
 * Thread-safe.
 */
final class JdbcAccess {

    private static final int MAX_ATTEMPTS = 5;

    private final Dialect dialect;
    private final String redactedUrl;
    private final DataSource readPool;
    private final DataSource writePool;
    /** The PostgreSQL pool with its outage breaker (the same object as both pools); null on SQLite. */
    private final PostgresPool postgres;
    /** LISTEN/NOTIFY between nodes (PostgreSQL); null on SQLite, whose file has one writing process. */
    private volatile PgChangeChannel changes;
    /** Jdbi on the read pool, made at its first use (issue 19: Jdbi's set-up is not on the startup path). */
    private final Lazy<Jdbi> reader;
    /** Jdbi on the write pool (on PostgreSQL the same as {@link #reader}), made at its first use. */
    private final Lazy<Jdbi> writer;
    /** The per-request reads: plain JDBC, statements prepared once per connection. */
    private final ReadSessions hot;
    /** Serializes SQLite writers in this process and commits them in groups; null on PostgreSQL. */
    private final SqliteGroupCommit groupCommit;
    private final long writeLockTimeoutMillis;
    /** The read cache of {@code readSecret}; null when off. */
    private final SecretReadCache cache;
    /** The lock on the SQLite file that the cache requires; null when the cache is off. */
    private final ExclusiveLockFile lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** What a write may change, for the read cache: which secrets' cached reads it drops. */
    enum Affects {
        /** No secret's stored state (records, a new identity): only the epoch moves. */
        NO_SECRET,
        /** The one secret passed along: all its cached reads (every version). */
        ONE_SECRET,
        /** Any secret (identity updates and deletes, whose delete cascades): the whole cache. */
        ALL_SECRETS
    }

    /** See {@link JdbcStorageBackend#JdbcStorageBackend}. */
    JdbcAccess(JdbcSettings settings, DataSource readPool, DataSource writePool, ReadSessions hot,
               SecretReadCache cache, ExclusiveLockFile lock) {
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
        this.reader = new Lazy<>(new JdbiMaker(readPool));
        this.writer = readPool == writePool ? reader : new Lazy<>(new JdbiMaker(writePool));
        this.groupCommit = dialect == Dialect.SQLITE ? new SqliteGroupCommit(writer) : null;
        this.writeLockTimeoutMillis = settings.connectionTimeout().toMillis();
        if (cache != null && (dialect != Dialect.SQLITE || lock == null)) {
            throw new IllegalArgumentException("the read cache needs SQLite and its lock file");
        }
        this.cache = cache;
        this.lock = lock;
    }

    /** Makes a pool's Jdbi (a class, not a lambda: a plugin's lambdas are spun at every start; issue 19). */
    private record JdbiMaker(DataSource pool) implements java.util.function.Supplier<Jdbi> {
        @Override
        public Jdbi get() {
            return jdbi(pool);
        }
    }

    private static Jdbi jdbi(DataSource pool) {
        Jdbi jdbi = Jdbi.create(pool);
        // listings bind :after only when a cursor is given; readSecret binds :version only when asked
        jdbi.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
        return jdbi;
    }

    void startChangeChannel(PgChangeChannel channel) {
        this.changes = requireNonNull(channel, "channel is null");
    }

    /** The change channel (PostgreSQL), or null. */
    PgChangeChannel changes() {
        return changes;
    }

    ReadSessions hot() {
        return hot;
    }

    SqliteGroupCommit groupCommit() {
        return groupCommit;
    }

    SecretReadCache cache() {
        return cache;
    }

    Jdbi writer() {
        return writer.get();
    }

    /** The pool writes use. */
    DataSource writePool() {
        return writePool;
    }

    /** Test hook: whether Jdbi has been set up (on either pool). */
    boolean jdbiMade() {
        return reader.made() || writer.made();
    }

    Dialect dialect() {
        return dialect;
    }

    String redactedUrl() {
        return redactedUrl;
    }

    void close() {
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
    VaultException failure(String operation, Throwable e) {
        if (postgres != null && !(e instanceof VaultException)) {
            SQLException sql = SqlErrors.sqlCause(e);
            if (sql != null && SqlErrors.classify(sql) == SqlErrors.Kind.UNAVAILABLE && !closed.get()) {
                postgres.connectionBroke(sql);
            }
        }
        return SqlErrors.translate(operation, redactedUrl, e);
    }


    /**
     * The health probe: {@code SELECT 1} on a connection of the read pool, in plain JDBC (issue 19: the first
     * health check after a start no longer sets up Jdbi, whose configuration spins ~270 lambda classes and
     * ~100 method-handle classes that the AOT cache cannot hold for a plugin's class loader).
     */
    void probe() {
        checkOpen("probe");
        try (Connection c = readPool.getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1")) {
            if (!rs.next()) {
                throw new SQLException("SELECT 1 returned no row");
            }
        } catch (SQLException | RuntimeException e) {
            throw failure("probe", e);
        }
    }

    <T> T read(String operation, HandleCallback<T, RuntimeException> callback) {
        checkOpen(operation);
        try {
            return reader.get().withHandle(callback);
        } catch (RuntimeException e) {
            throw failure(operation, e);
        }
    }


    /**
     * A per-request read: one query with parameters {@code a}, {@code b}[, {@code c} when not null][,
     * {@code version}, twice, for {@link HotQueries#READ_SECRET_VERSION}] (a kept statement keeps its bindings, so every
     * parameter of the query is bound on every call) on a {@link ReadSessions} session, at most one row. No Jdbi, no per-call statement
     * preparation; a session whose call failed is discarded.
     */
    <T> Optional<T> hotRead(String operation, int query, String a, String b, String c, int version,
                                    SecretRef ref, HotQueries.Row<T> row) {
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
            if (query == HotQueries.READ_SECRET_VERSION) {
                ps.setInt(4, version); // the version probe
                ps.setInt(5, version); // ... or the inline latest (schema V3)
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
     * A listing's page on a {@link ReadSessions} session (the prepared-statement path of the per-request
     * reads): {@code query}'s parameters are the strings of {@code params} then {@code limit}; every row
     * is mapped by {@code row}. A session whose call failed is discarded.
     */
    <T> List<T> hotList(String operation, int query, int limit, ListRow<T> row, String... params) {
        checkOpen(operation);
        ReadSessions.Session session = null;
        boolean healthy = false;
        try {
            session = hot.acquire(operation);
            PreparedStatement ps = session.statement(query);
            int i = 1;
            for (String p : params) {
                ps.setString(i++, p);
            }
            ps.setInt(i, limit);
            List<T> rows = new ArrayList<>(Math.min(limit, 1024));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row.map(rs));
                }
            }
            healthy = true;
            return rows;
        } catch (SQLException | RuntimeException e) {
            throw failure(operation, e);
        } finally {
            if (session != null) {
                hot.release(session, healthy);
            }
        }
    }

    /** Maps one row of a listing, by column index. */
    @FunctionalInterface
    interface ListRow<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /**
     * Runs {@code callback} as one write transaction. With the read cache, whatever the outcome (the
     * transaction may have committed even if this throws), the cache's epoch moves and what
     * {@code affects} names ({@code ref} for {@link Affects#ONE_SECRET}) is dropped before this returns.
     */
    <T> T write(String operation, Affects affects, SecretRef ref, StorageChange change,
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

    /**
     * Runs one {@code INSERT}/{@code UPDATE} with positional parameters inside a write callback (see
     * {@link PlainUpdate#run}): on SQLite through the writing connection's kept statements
     * ({@link WriterStatements}), on PostgreSQL prepared per call.
     */
    int update(Handle h, String sql, Object... args) {
        return groupCommit != null ? groupCommit.statements().update(h, sql, args) : PlainUpdate.run(h, sql, args);
    }

    <T> T writeTransaction(String operation, HandleCallback<T, RuntimeException> callback) {
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

    <T> T writePostgres(String operation, HandleCallback<T, RuntimeException> callback) {
        for (int attempt = 1; ; attempt++) {
            try {
                return writer.get().inTransaction(TransactionIsolationLevel.READ_COMMITTED, callback);
            } catch (RuntimeException e) {
                SQLException sql = e instanceof VaultException ? null : SqlErrors.sqlCause(e);
                if (sql != null && SqlErrors.classify(sql) == SqlErrors.Kind.RETRYABLE && attempt < MAX_ATTEMPTS) {
                    continue; // deadlock or serialization failure: the transaction was rolled back
                }
                throw failure(operation, e);
            }
        }
    }

    void checkOpen(String operation) {
        if (closed.get()) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage backend " + dialect + " " + redactedUrl
                    + " is closed (" + operation + ")");
        }
    }
}
