package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ExclusiveLockFile;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The {@code jdbc} storage backend: SQLite (the embedded default) or PostgreSQL, picked by the
 * {@code url} configuration key. Stateless; {@link #create} builds the connection pools, runs the
 * schema migrations and returns a ready backend, or fails with {@code CONFIGURATION} or
 * {@code STORAGE_UNAVAILABLE} having closed whatever it opened.
 */
public final class JdbcStorageBackendFactory implements StorageBackendFactory {

    private static final Logger LOG = Logger.getLogger(JdbcStorageBackendFactory.class.getName());
    private static final AtomicInteger POOL_COUNTER = new AtomicInteger();
    /** SQLite page cache of the single writing connection, KiB (SQLite's default is 2,000 KiB per connection). */
    static final int WRITER_CACHE_KIB = 8192;
    /** WAL pages after which the writing connection's commit checkpoints (SQLite's default is 1,000). */
    static final int WRITER_CHECKPOINT_PAGES = 5000;

    @Override
    public String name() {
        return "jdbc";
    }

    @Override
    public String description() {
        return "SQL database through JDBC: SQLite file (default) or PostgreSQL";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return JdbcSettings.PROPERTIES;
    }

    /**
     * SQLite (no {@code url}, or a {@code jdbc:sqlite:} one): loads the driver's native library (from the copy kept
     * in the plugin's directory, {@link SqliteNativeLibrary}) while core opens the root key (issue 19), then
     * loads and initialises the classes {@link #create} needs ({@link SqliteClassWarmUp}).
     */
    @Override
    public void warmUp(ProviderConfig config) {
        String url = config.get(JdbcSettings.URL).orElse("");
        if (url.isEmpty() || url.startsWith(Dialect.SQLITE.urlPrefix())) {
            try {
                SqliteNativeLibrary.prepare();
                org.sqlite.SQLiteJDBCLoader.initialize();
            } catch (Exception e) {
                LOG.fine(() -> "SQLite native library warm-up: " + e); // create() reports it
                return;
            }
            SqliteClassWarmUp.run();
        }
    }

    @Override
    public StorageBackend create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        JdbcSettings settings = JdbcSettings.from(config, context);
        // Hikari loads the driver class by name through the context class loader: make it the plugin's
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(JdbcStorageBackendFactory.class.getClassLoader());
        javax.sql.DataSource readPool = null;
        javax.sql.DataSource writePool = null;
        PostgresPool pgPool = null;
        ExclusiveLockFile lock = null;
        try {
            int n = POOL_COUNTER.incrementAndGet();
            if (settings.dialect() == Dialect.SQLITE) {
                SqliteNativeLibrary.prepare(); // before the driver's loader runs (when the warm-up has not)
                prepareSqliteFile(settings.sqliteFile());
                if (settings.readCache()) {
                    // the cache is coherent only while this process is the database's only writer
                    lock = SqliteLockFile.acquire(settings.sqliteFile());
                }
                writePool = open(settings, sqliteConfig(settings, "anima-vault-sqlite-" + n + "-writer", 1, true));
                HikariConfig reader = sqliteConfig(settings, "anima-vault-sqlite-" + n + "-reader",
                        settings.maxPoolSize(), false);
                // issue 19: the writer's first connection has just proven the file opens; the readers' are made
                // by the pool's own thread (minimumIdle), not on the startup path
                reader.setInitializationFailTimeout(-1);
                readPool = open(settings, reader);
            } else {
                String poolName = "anima-vault-postgresql-" + n;
                pgPool = openPostgres(settings, poolName, context);
                readPool = pgPool;
                writePool = pgPool;
            }
            ReadSessions hot;
            if (settings.dialect() == Dialect.SQLITE) {
                Properties readerProperties = sqliteProperties(settings, false);
                String url = settings.url();
                // dedicated reading connections, each keeping its prepared hot statements
                hot = ReadSessions.kept(HotQueries.HOT_QUERIES,
                        () -> org.sqlite.JDBC.createConnection(url, readerProperties), settings.maxPoolSize(),
                        settings.connectionTimeout().toMillis(), settings.redactedUrl());
            } else {
                hot = ReadSessions.pooled(HotQueries.HOT_QUERIES, readPool, settings.redactedUrl());
            }
            SecretReadCache cache = settings.readCache() ? new SecretReadCache(settings.readCacheSize()) : null;
            JdbcStorageBackend backend = new JdbcStorageBackend(settings, readPool, writePool, hot, cache, lock,
                    context.clock());
            List<Integer> applied;
            try {
                SchemaMigrator migrator = new SchemaMigrator(settings.dialect(), context.clock());
                // issue 19: a current schema is seen with one plain query; Jdbi runs only when there is work
                applied = migrator.isCurrent(backend.writePool()) ? List.of() : migrator.migrate(backend.writer());
            } catch (RuntimeException e) {
                throw SqlErrors.translate("schema migration", settings.redactedUrl(), e);
            }
            if (settings.dialect() == Dialect.POSTGRESQL) {
                backend.startChangeChannel(new PgChangeChannel(listenUrl(settings.url()), driverProperties(settings),
                        settings.redactedUrl(), settings.changePollInterval()));
            }
            ExclusiveLockFile held = lock;
            LOG.info("jdbc storage ready: " + settings.dialect() + " " + settings.redactedUrl()
                    + (held == null ? ", read cache off" : ", read cache of " + settings.readCacheSize()
                            + " reads, database locked by " + held.file())
                    + (applied.isEmpty() ? ", schema current at version " + SchemaMigrator.latestVersion()
                            : ", applied schema migrations " + applied));
            return backend;
        } catch (RuntimeException e) {
            closeQuietly(readPool, e);
            if (writePool != readPool) {
                closeQuietly(writePool, e);
            }
            if (lock != null) {
                lock.close(); // after the pools: no connection of ours is left on the file
            }
            throw e;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static PostgresPool openPostgres(JdbcSettings settings, String poolName, PluginContext context) {
        try {
            return new PostgresPool(() -> postgresConfig(settings, poolName), settings.redactedUrl(), context.clock());
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot connect to " + settings.redactedUrl()
                    + (settings.username() == null ? "" : " as user '" + settings.username() + "'") + ": "
                    + cause.getClass().getSimpleName() + ": " + firstLine(cause.getMessage()), e);
        }
    }

    private static HikariDataSource open(JdbcSettings settings, HikariConfig config) {
        long deadline = System.nanoTime() + settings.busyTimeout().toNanos();
        try {
            while (true) {
                try {
                    return new HikariDataSource(config);
                } catch (RuntimeException e) {
                    // processes opening a new SQLite file at once: the first connection's PRAGMA journal_mode=WAL
                    // can meet another's lock upgrade, where SQLite answers SQLITE_BUSY at once instead of waiting
                    // (its busy handler would deadlock); such a start tries again within busy-timeout
                    if (settings.dialect() != Dialect.SQLITE || !sqliteBusy(e) || System.nanoTime() >= deadline) {
                        throw e;
                    }
                    sleepBriefly();
                }
            }
        } catch (RuntimeException e) {
            // HikariCP's PoolInitializationException: the first connection failed
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot connect to " + settings.redactedUrl()
                    + (settings.username() == null ? "" : " as user '" + settings.username() + "'") + ": "
                    + cause.getClass().getSimpleName() + ": " + firstLine(cause.getMessage()), e);
        }
    }

    /** Whether the first connection failed with SQLite's {@code SQLITE_BUSY} (primary result code 5). */
    private static boolean sqliteBusy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql && (sql.getErrorCode() & 0xff) == 5) {
                return true;
            }
        }
        return false;
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(10 + java.util.concurrent.ThreadLocalRandom.current().nextInt(40));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the database", ie);
        }
    }

    private static HikariConfig sqliteConfig(JdbcSettings s, String poolName, int size, boolean writer) {
        HikariConfig c = baseConfig(s, poolName, size);
        c.setDataSourceProperties(sqliteProperties(s, writer));
        return c;
    }

    /** The sqlite-jdbc connection properties of a reading or the writing connection. */
    private static Properties sqliteProperties(JdbcSettings s, boolean writer) {
        Properties p = new Properties();
        p.setProperty("journal_mode", "WAL");
        p.setProperty("synchronous", s.sqliteSynchronous());
        p.setProperty("busy_timeout", Long.toString(s.busyTimeout().toMillis()));
        p.setProperty("foreign_keys", "true");
        // deleted content (a destroyed secret version) is overwritten with zeros, not left in free pages
        p.setProperty("secure_delete", "true");
        // sqlite-jdbc's default runs a regular expression over every executed INSERT and then a second
        // statement (SELECT last_insert_rowid()) to offer getGeneratedKeys(), which nothing here calls: two
        // per created secret, inside the single writer's serial turn
        p.setProperty("jdbc.get_generated_keys", "false");
        if (writer) {
            // every write transaction takes the write lock up front: no read-to-write lock upgrade
            p.setProperty("transaction_mode", "IMMEDIATE");
            // issue 19: the single writer's serial turn was mostly system calls (~16 per created secret at 32
            // clients; ~5 us each on the 2-core VM): ~2.5 page reads per create missed the default 2 MB cache,
            // and the auto-checkpoint copied ~3 pages per create (one pread and one pwrite each). A larger
            // cache for this one connection and a checkpoint every WRITER_CHECKPOINT_PAGES WAL pages (SQLite
            // copies a page rewritten between two checkpoints once) halve that (docs/performance.md, eighth
            // pass). Durability is untouched: synchronous and the commit are as before.
            p.setProperty("cache_size", Integer.toString(-WRITER_CACHE_KIB));
            p.setProperty("wal_autocheckpoint", Integer.toString(WRITER_CHECKPOINT_PAGES));
        }
        return p;
    }

    private static HikariConfig postgresConfig(JdbcSettings s, String poolName) {
        HikariConfig c = baseConfig(s, poolName, s.maxPoolSize());
        if (s.username() != null) {
            c.setUsername(s.username());
        }
        if (s.password() != null) {
            c.setPassword(s.password());
        }
        Properties p = new Properties();
        p.setProperty("ApplicationName", "anima-vault");
        // server-side prepared statements from the first execution of a statement on a connection (the
        // driver default is the fifth); the driver's per-connection cache then skips the parse for the
        // per-request reads. A prepareThreshold in the URL (e.g. 0 behind PgBouncer) takes precedence.
        p.setProperty("prepareThreshold", "1");
        p.setProperty("connectTimeout", Long.toString(Math.max(1, s.connectionTimeout().toSeconds())));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("socketTimeout", Long.toString(s.queryTimeout().toSeconds()));
        if (s.sslMode() != null) {
            p.setProperty("sslmode", s.sslMode());
        }
        if (s.sslRootCert() != null) {
            p.setProperty("sslrootcert", s.sslRootCert());
        }
        // server error details can quote row contents; keep them out of exception messages
        p.setProperty("logServerErrorDetail", "false");
        c.setDataSourceProperties(p);
        return c;
    }

    /**
     * The URL of the LISTEN connection: without an {@code ApplicationName} parameter (URL parameters
     * beat properties in pgjdbc), so that the connection shows as {@code anima-vault-listen} in
     * {@code pg_stat_activity}, apart from the pool's.
     */
    static String listenUrl(String url) {
        int q = url.indexOf('?');
        if (q < 0) {
            return url;
        }
        StringBuilder kept = new StringBuilder();
        for (String param : url.substring(q + 1).split("&")) {
            if (!param.isEmpty() && !param.regionMatches(true, 0, "ApplicationName=", 0, 16)) {
                kept.append(kept.isEmpty() ? "" : "&").append(param);
            }
        }
        return url.substring(0, q) + (kept.isEmpty() ? "" : "?" + kept);
    }

    /** The driver properties of a connection outside the pool (with the credentials). */
    private static Properties driverProperties(JdbcSettings s) {
        Properties p = new Properties();
        p.putAll(postgresConfig(s, "unused").getDataSourceProperties());
        p.setProperty("ApplicationName", "anima-vault-listen");
        if (s.username() != null) {
            p.setProperty("user", s.username());
        }
        if (s.password() != null) {
            p.setProperty("password", s.password());
        }
        return p;
    }

    private static HikariConfig baseConfig(JdbcSettings s, String poolName, int size) {
        HikariConfig c = new HikariConfig();
        c.setPoolName(poolName);
        c.setJdbcUrl(s.url());
        c.setDriverClassName(s.dialect().driverClassName());
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(Math.min(size, 2));
        c.setConnectionTimeout(s.connectionTimeout().toMillis());
        c.setValidationTimeout(Math.min(5000, Math.max(250, s.connectionTimeout().toMillis() / 2)));
        c.setAutoCommit(true);
        return c;
    }

    /** Creates the database file readable by its owner only (0600) before SQLite opens it. */
    private static void prepareSqliteFile(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!Files.exists(file)) {
                try {
                    if (parent != null && Files.getFileStore(parent).supportsFileAttributeView("posix")) {
                        Files.createFile(file, PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rw-------")));
                    }
                } catch (FileAlreadyExistsException e) {
                    // another process created it at the same moment
                }
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot create the SQLite database file " + file
                    + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(javax.sql.DataSource pool, Exception failure) {
        if (pool != null) {
            try {
                ((AutoCloseable) pool).close();
            } catch (Exception e) {
                failure.addSuppressed(e);
            }
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public String toString() {
        return "JdbcStorageBackendFactory[jdbc]";
    }
}
