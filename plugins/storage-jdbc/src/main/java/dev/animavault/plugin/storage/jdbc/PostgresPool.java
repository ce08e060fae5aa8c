package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The PostgreSQL connection pool with an outage breaker: a {@link DataSource} over a HikariCP pool
 * that fails fast while the database is known to be unreachable and recovers by itself.
 *
 * <p>When getting a connection or a statement fails with a connection-level error and a direct probe,
 * run at once, gets no answer either ({@link #connectionBroke}), the pool is marked down: every {@link #getConnection()} then fails at once with a
 * {@link SQLTransientConnectionException} (SQLState 08001, hence {@code STORAGE_UNAVAILABLE}, a 503)
 * instead of waiting {@code connection-timeout} for a connection that cannot come. One recovery thread
 * tries a direct connection and {@code SELECT 1} every {@link #PROBE_INTERVAL_MILLIS} ms; on success
 * it opens a fresh HikariCP pool, swaps it in, marks the pool up and closes the old pool in the
 * background. The fresh pool matters: HikariCP's connection adder backs off up to 5 s between
 * attempts during an outage, which would delay recovery by as much after the database is back.
 *
 * <p>So after the database returns, service resumes within one probe interval plus one connection
 * set-up (well under 2 s). Requests already waiting for a connection when the outage starts wait at
 * most {@code connection-timeout}; statements on a connection whose server vanished without closing
 * the socket end after {@code query-timeout} (the driver's socketTimeout).
 *
 * <p>Thread-safe. {@link #close()} stops the recovery thread and closes the current pool.
 */
final class PostgresPool implements DataSource, AutoCloseable {

    static final long PROBE_INTERVAL_MILLIS = 250;
    private static final Logger LOG = Logger.getLogger(PostgresPool.class.getName());

    /** What is known about the current outage. */
    private record Outage(Instant since, String lastError) {
    }

    private final Supplier<HikariConfig> configs;
    private final String redactedUrl;
    private final Clock clock;
    private volatile HikariDataSource current;
    private volatile Outage outage;
    private final AtomicBoolean recovering = new AtomicBoolean();
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * @param configs     a fresh HikariCP configuration per pool (the first is opened here)
     * @param redactedUrl the URL for messages
     * @param clock       for the outage start
     */
    PostgresPool(Supplier<HikariConfig> configs, String redactedUrl, Clock clock) {
        this.configs = requireNonNull(configs, "configs is null");
        this.redactedUrl = requireNonNull(redactedUrl, "redactedUrl is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.current = new HikariDataSource(configs.get());
    }

    /** Whether the database is currently considered unreachable. */
    boolean down() {
        return outage != null;
    }

    /**
     * Reports that a statement failed with a connection-level error on a connection already open. One
     * broken connection (terminated by an administrator, cut by a proxy) is no outage: a direct probe
     * runs at once, off the caller's thread, and only when the server does not answer it is the pool
     * marked down ({@link #connectionFailed}). Cheap to call often: one probe at a time.
     */
    void connectionBroke(SQLException cause) {
        if (closed || outage != null || !checking.compareAndSet(false, true)) {
            return;
        }
        Thread t = Thread.ofPlatform().daemon().name("anima-vault-postgresql-check").unstarted(() -> {
            try {
                probeDirectly(configs.get());
            } catch (SQLException | RuntimeException e) {
                connectionFailed(e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), "08001", e));
            } finally {
                checking.set(false);
            }
        });
        t.setContextClassLoader(PostgresPool.class.getClassLoader());
        t.start();
    }

    /**
     * Reports that the database could not be reached (no connection could be had, or a direct probe
     * failed); the pool fails fast from now on until the recovery thread gets an answer again.
     * Idempotent during an outage.
     */
    void connectionFailed(SQLException cause) {
        if (closed) {
            return;
        }
        if (outage == null) {
            synchronized (this) {
                if (outage == null) {
                    outage = new Outage(clock.instant(), describe(cause));
                    LOG.warning(() -> "PostgreSQL at " + redactedUrl + " is unreachable (" + describe(cause)
                            + "); requests fail fast with storage_unavailable until it answers again");
                }
            }
        }
        if (recovering.compareAndSet(false, true)) {
            startRecovery();
        }
    }

    private void startRecovery() {
        Thread t = Thread.ofPlatform().daemon().name("anima-vault-postgresql-recovery").unstarted(this::recover);
        t.setContextClassLoader(PostgresPool.class.getClassLoader()); // HikariCP loads the driver through it
        t.start();
    }

    private void recover() {
        try {
            while (!closed && outage != null) {
                try {
                    Thread.sleep(PROBE_INTERVAL_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                HikariDataSource fresh;
                try {
                    HikariConfig config = configs.get();
                    probeDirectly(config); // no pool (and no pool threads) until the server answers
                    fresh = new HikariDataSource(config);
                } catch (SQLException | RuntimeException e) {
                    Outage o = outage;
                    if (o != null) {
                        outage = new Outage(o.since(), describe(e));
                    }
                    continue;
                }
                HikariDataSource old = current;
                current = fresh;
                Outage o = outage;
                outage = null;
                if (o != null) {
                    LOG.info(() -> "PostgreSQL at " + redactedUrl + " answers again after "
                            + (clock.millis() - o.since().toEpochMilli()) + " ms; fresh connection pool in use");
                }
                Thread.ofPlatform().daemon().name("anima-vault-postgresql-pool-close").start(old::close);
                if (closed) {
                    fresh.close();
                }
            }
        } finally {
            recovering.set(false);
            if (!closed && outage != null) {
                // an outage reported while this thread was exiting
                if (recovering.compareAndSet(false, true)) {
                    startRecovery();
                }
            }
        }
    }

    /** One connection straight from the driver and a {@code SELECT 1}; throws when the server does not answer. */
    private static void probeDirectly(HikariConfig config) throws SQLException {
        Properties p = new Properties();
        p.putAll(config.getDataSourceProperties());
        if (config.getUsername() != null) {
            p.setProperty("user", config.getUsername());
        }
        if (config.getPassword() != null) {
            p.setProperty("password", config.getPassword());
        }
        // not one of the pool's sessions: named apart so session counts (pg_stat_activity) see only the pool's
        // (the driver lets the URL's parameters win over these properties, so rename it in both)
        String app = p.getProperty("ApplicationName");
        if (app != null) {
            p.setProperty("ApplicationName", app + "-probe");
        }
        String url = config.getJdbcUrl().replaceAll("(?i)([?&]ApplicationName=[^&]*)", "$1-probe");
        try (Connection c = new org.postgresql.Driver().connect(url, p);
             Statement st = c.createStatement()) {
            st.setQueryTimeout(2);
            st.execute("SELECT 1");
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        m = m.replace('\n', ' ');
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Outage o = outage;
        if (o != null) {
            throw new SQLTransientConnectionException("PostgreSQL at " + redactedUrl + " unreachable since "
                    + o.since() + " (" + o.lastError() + "); retrying every " + PROBE_INTERVAL_MILLIS + " ms",
                    "08001");
        }
        try {
            return current.getConnection();
        } catch (SQLException e) {
            SqlErrors.Kind kind = SqlErrors.classify(e);
            if (kind == SqlErrors.Kind.UNAVAILABLE && !closed) {
                connectionBroke(e); // a busy pool also times out: only a failed probe means an outage
            }
            throw e;
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("use getConnection()");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return (int) TimeUnit.MILLISECONDS.toSeconds(current.getConnectionTimeout());
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public void close() {
        closed = true;
        current.close();
    }

    @Override
    public String toString() {
        return "PostgresPool[" + redactedUrl + (outage == null ? "" : ", down since " + outage.since()) + "]";
    }
}
