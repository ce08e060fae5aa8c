package dev.animavault.plugin.storage.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * Issue 19 (startup): the one-off class work of {@link JdbcStorageBackendFactory#create} on SQLite, done on the
 * provider's warm-up thread while the main thread opens the root key and sets up the writer pool. The plugin's
 * classes come through its own class loader, outside the JVM's AOT cache: loading, linking and initialising
 * them ran interpreted on the main thread (tenth pass of docs/performance.md, a CPU-time profile of {@code
 * create}: sqlite-jdbc's first connection, ~25% of {@code create}'s main-thread samples, mostly the JDK's
 * {@code Calendar} locale lookup behind sqlite-jdbc's {@code FastDateFormat} of every connection's config;
 * Caffeine's cache class and lambdas; HikariCP's closed-connection proxy, made at the first connection
 * close).
 *
 * <p>Touches no file and no state the backend uses: an in-memory SQLite database (the same connection, PRAGMA
 * and query classes as the real ones), a one-slot {@link SecretReadCache} that is dropped, and the
 * initialisation of HikariCP's {@code ProxyConnection$ClosedConnection}. Whatever the main thread reaches
 * first it does itself (a class being initialised here makes it wait for that class, nothing more); any
 * failure is only logged (FINE), {@code create} then does the work as before.
 */
final class SqliteClassWarmUp {

    private static final Logger LOG = Logger.getLogger(SqliteClassWarmUp.class.getName());
    private static final String CLOSED_CONNECTION = "com.zaxxer.hikari.pool.ProxyConnection$ClosedConnection";

    private SqliteClassWarmUp() {
    }

    /** Runs the warm-up; never throws. Call after sqlite-jdbc's native library is loaded. */
    static void run() {
        // in the order create() needs them: the writer's first connection, the read cache, the schema check
        // (not HikariCP's own set-up: main reaches it first, tenth pass)
        try {
            Properties p = new Properties();
            p.setProperty("synchronous", "FULL");
            p.setProperty("busy_timeout", "1000");
            p.setProperty("foreign_keys", "true");
            p.setProperty("secure_delete", "true");
            p.setProperty("jdbc.get_generated_keys", "false");
            p.setProperty("cache_size", "-2000");
            try (Connection c = org.sqlite.JDBC.createConnection("jdbc:sqlite::memory:", p);
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT 1, 2")) {
                while (rs.next()) {
                    rs.getInt(1);
                    rs.getLong(2);
                }
            }
        } catch (SQLException | RuntimeException | LinkageError e) {
            LOG.fine(() -> "SQLite class warm-up: " + e);
        }
        try {
            new SecretReadCache(1);
        } catch (RuntimeException | LinkageError e) {
            LOG.fine(() -> "read cache class warm-up: " + e);
        }
        try {
            Class.forName(CLOSED_CONNECTION, true, SqliteClassWarmUp.class.getClassLoader());
        } catch (ClassNotFoundException | RuntimeException | LinkageError e) {
            LOG.fine(() -> "HikariCP class warm-up: " + e);
        }
    }
}
