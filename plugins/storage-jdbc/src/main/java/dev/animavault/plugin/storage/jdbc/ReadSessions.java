package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Connections for the per-request reads ({@code readSecret}, {@code getSecretMetadata},
 * {@code getIdentity}, {@code getRecord}) with their prepared statements, bypassing Jdbi.
 *
 * <p><b>Kept sessions</b> (SQLite): up to {@code maxSessions} dedicated connections, opened on demand,
 * each holding a {@link PreparedStatement} per hot query once it has been used, so the statement is
 * compiled once per connection instead of once per call (sqlite-jdbc has no statement cache). Idle
 * sessions wait in a LIFO stack (the most recently used, cache-warm one is handed out first); a
 * {@link Semaphore} bounds the sessions and makes a caller wait at most {@code acquireTimeoutMillis}
 * when all are busy. A session is used by one thread at a time: it is either on the stack or held by
 * the one caller that took it. No {@code synchronized}: virtual threads waiting for a session park
 * without pinning their carrier. Every read runs in autocommit mode and closes its result set, which
 * resets the statement and ends SQLite's read transaction, so an idle session holds no WAL snapshot
 * (later reads see every committed write, and checkpoints are not held back).
 *
 * <p><b>Pooled sessions</b> (PostgreSQL): a connection from the HikariCP pool per call, its statement
 * prepared through the driver, whose per-connection statement cache and server-side prepared
 * statements ({@code prepareThreshold}) make repeated preparation free; the connection goes back to
 * the pool after the call, so {@code max-pool-size} stays the bound on server connections and HikariCP
 * keeps validating and replacing them.
 *
 * <p>A session whose call failed in any way is discarded (its connection closed), never returned to
 * the stack; the next caller opens a fresh one. {@link #close()} closes the idle sessions; sessions in
 * use are closed when returned.
 */
final class ReadSessions implements AutoCloseable {

    /** Opens one dedicated connection (SQLite). */
    @FunctionalInterface
    interface Opener {
        Connection open() throws SQLException;
    }

    private final String[] sql;
    private final Opener opener;
    private final DataSource pool;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<Session> idle;
    private final long acquireTimeoutMillis;
    private final String description;
    /** Kept sessions whose connection is open, idle or in use (for tests, see {@link #openSessions()}). */
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean closed;

    private ReadSessions(String[] sql, Opener opener, DataSource pool, int maxSessions, long acquireTimeoutMillis,
                         String description) {
        this.sql = sql.clone();
        this.opener = opener;
        this.pool = pool;
        this.permits = opener == null ? null : new Semaphore(maxSessions);
        this.idle = opener == null ? null : new ConcurrentLinkedDeque<>();
        this.acquireTimeoutMillis = acquireTimeoutMillis;
        this.description = requireNonNull(description, "description is null");
    }

    /** Up to {@code maxSessions} dedicated connections from {@code opener}, kept with their statements. */
    static ReadSessions kept(String[] sql, Opener opener, int maxSessions, long acquireTimeoutMillis,
                             String description) {
        requireNonNull(opener, "opener is null");
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be positive");
        }
        return new ReadSessions(sql, opener, null, maxSessions, acquireTimeoutMillis, description);
    }

    /** A connection from {@code pool} per call; the driver caches the prepared statements. */
    static ReadSessions pooled(String[] sql, DataSource pool, String description) {
        return new ReadSessions(sql, null, requireNonNull(pool, "pool is null"), 1, 0, description);
    }

    /**
     * A session for one read; give it back with {@link #release}, in a {@code finally}.
     *
     * @throws SQLException   when no connection can be opened
     * @throws VaultException {@code STORAGE_UNAVAILABLE} when none is free within the timeout, on
     *                        interrupt, or after {@link #close()}
     */
    Session acquire(String operation) throws SQLException {
        if (opener == null) {
            return new Session(pool.getConnection(), sql.length, false);
        }
        if (!permits.tryAcquire()) {
            boolean got;
            try {
                got = permits.tryAcquire(acquireTimeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, operation + " was interrupted", e);
            }
            if (!got) {
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage at " + description + ": "
                        + operation + " waited " + acquireTimeoutMillis + " ms for a reading connection");
            }
        }
        boolean ok = false;
        try {
            if (closed) {
                throw closedException(operation);
            }
            Session s = idle.pollFirst();
            if (s == null) {
                s = new Session(opener.open(), sql.length, true);
                open.incrementAndGet();
            }
            ok = true;
            return s;
        } finally {
            if (!ok) {
                permits.release();
            }
        }
    }

    /**
     * Gives a session back: kept for the next caller when {@code healthy} (the call went through without
     * any exception), otherwise closed. Never throws.
     */
    void release(Session s, boolean healthy) {
        if (!s.kept) {
            s.close(); // its statement, then the connection back to the pool (HikariCP evicts broken ones)
            return;
        }
        try {
            if (healthy && !closed) {
                idle.offerFirst(s);
                if (closed) {
                    drain(); // close() ran in between and may have missed it
                }
            } else {
                s.close();
            }
        } finally {
            permits.release();
        }
    }

    @Override
    public void close() {
        closed = true;
        if (idle != null) {
            drain();
        }
    }

    /** Test hook: the number of kept sessions whose connection is open (0 for pooled sessions). */
    int openSessions() {
        return open.get();
    }

    private void drain() {
        for (Session s; (s = idle.pollFirst()) != null; ) {
            s.close();
        }
    }

    private VaultException closedException(String operation) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage backend " + description + " is closed ("
                + operation + ")");
    }

    /** One connection and its prepared hot statements; used by one thread at a time. */
    final class Session {
        private final Connection connection;
        private final PreparedStatement[] statements;
        private final boolean kept;

        private Session(Connection connection, int queries, boolean kept) {
            this.connection = connection;
            this.statements = new PreparedStatement[queries];
            this.kept = kept;
        }

        /** Test hook: the session's connection. */
        Connection connection() {
            return connection;
        }

        /** The prepared statement of hot query {@code query}, prepared on first use. */
        PreparedStatement statement(int query) throws SQLException {
            PreparedStatement ps = statements[query];
            if (ps == null) {
                ps = connection.prepareStatement(sql[query]);
                statements[query] = ps;
            }
            return ps;
        }

        private void close() {
            for (int i = 0; i < statements.length; i++) {
                if (statements[i] != null) {
                    try {
                        statements[i].close();
                    } catch (SQLException | RuntimeException e) {
                        // the connection is closed next, which frees it anyway
                    }
                    statements[i] = null;
                }
            }
            try {
                connection.close();
            } catch (SQLException | RuntimeException e) {
                // nothing more to release
            }
            if (kept) {
                open.decrementAndGet();
            }
        }
    }
}
