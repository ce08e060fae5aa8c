package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ConfigProperty.Type;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The validated settings of one {@code jdbc} storage instance. Built once from the
 * {@link ProviderConfig}; {@link #toString()} masks the password.
 *
 * @param dialect           the database kind, from the URL
 * @param url               the JDBC URL (for SQLite: with the file path made absolute)
 * @param username          the database user, or null
 * @param password          the database password, or null; never printed
 * @param maxPoolSize       the largest number of pooled connections (for SQLite: of reading connections)
 * @param connectionTimeout how long a caller waits for a pooled connection (and for SQLite's write lock)
 * @param busyTimeout       how long SQLite waits for a lock held by another process
 * @param sqliteSynchronous SQLite's {@code synchronous} setting, {@code FULL} or {@code NORMAL}
 * @param readCache         whether {@code readSecret} results are cached ({@link SecretReadCache}); only
 *                          ever true for SQLite, whose file this process then locks
 * @param readCacheSize     the most cached reads
 * @param queryTimeout      PostgreSQL: the longest wait for the server's answer on an open connection
 *                          (pgjdbc {@code socketTimeout}); bounds a request when the server vanishes
 *                          without closing its sockets
 * @param sslMode           PostgreSQL: pgjdbc {@code sslmode} (e.g. {@code verify-full}), or null for the
 *                          driver default or the URL's
 * @param sslRootCert       PostgreSQL: pgjdbc {@code sslrootcert}, the CA file, or null
 * @param changePollInterval PostgreSQL: while the change-notification connection is down, how often
 *                          subscribers are told that anything may have changed
 */
record JdbcSettings(Dialect dialect, String url, String username, String password, int maxPoolSize,
                    Duration connectionTimeout, Duration busyTimeout, String sqliteSynchronous, boolean readCache,
                    int readCacheSize, Duration queryTimeout, String sslMode, String sslRootCert,
                    Duration changePollInterval) {

    static final String URL = "url";
    static final String USERNAME = "username";
    static final String PASSWORD = "password";
    static final String MAX_POOL_SIZE = "max-pool-size";
    static final String CONNECTION_TIMEOUT = "connection-timeout";
    static final String BUSY_TIMEOUT = "busy-timeout";
    static final String SQLITE_SYNCHRONOUS = "sqlite-synchronous";
    static final String READ_CACHE = "read-cache";
    static final String READ_CACHE_SIZE = "read-cache-size";
    static final String QUERY_TIMEOUT = "query-timeout";
    static final String SSL_MODE = "ssl-mode";
    static final String SSL_ROOT_CERT = "ssl-root-cert";
    static final String CHANGE_POLL_INTERVAL = "change-poll-interval";
    static final int DEFAULT_READ_CACHE_SIZE = 10_000;
    private static final int MAX_READ_CACHE_SIZE = 10_000_000;

    /** The default SQLite file name inside the data directory. */
    static final String DEFAULT_SQLITE_FILE = "anima-vault.db";

    /** The properties the {@code jdbc} factory declares. */
    static final List<ConfigProperty> PROPERTIES = List.of(
            ConfigProperty.optional(URL, Type.STRING, "",
                    "JDBC URL: jdbc:sqlite:<file> or jdbc:postgresql://host:port/db; empty for the SQLite file "
                            + DEFAULT_SQLITE_FILE + " in the data directory (relative SQLite paths resolve there)"),
            ConfigProperty.optional(USERNAME, Type.STRING, null, "database user (PostgreSQL)"),
            ConfigProperty.optional(PASSWORD, Type.STRING, null, "database password (PostgreSQL)").asSensitive(),
            ConfigProperty.optional(MAX_POOL_SIZE, Type.INTEGER, "10",
                    "largest number of pooled connections (SQLite: reading connections; writes use one more)"),
            ConfigProperty.optional(CONNECTION_TIMEOUT, Type.DURATION, "10s",
                    "how long a request waits for a database connection before failing with storage_unavailable"),
            ConfigProperty.optional(BUSY_TIMEOUT, Type.DURATION, "5s",
                    "SQLite only: how long to wait for a lock held by another process"),
            ConfigProperty.optional(SQLITE_SYNCHRONOUS, Type.STRING, "FULL",
                    "SQLite only: FULL (a write survives power loss) or NORMAL (survives a process crash, "
                            + "may lose the last writes on power loss; faster)"),
            ConfigProperty.optional(READ_CACHE, Type.STRING, "auto",
                    "cache secret reads in memory (the stored ciphertext, never plaintext), coherent with this "
                            + "node's writes: auto (on for SQLite, off for PostgreSQL), on (SQLite only: the "
                            + "database file is then locked against other processes) or off"),
            ConfigProperty.optional(READ_CACHE_SIZE, Type.INTEGER, Integer.toString(DEFAULT_READ_CACHE_SIZE),
                    "most secret reads kept by the read cache (one per secret and version read), at least 1"),
            ConfigProperty.optional(QUERY_TIMEOUT, Type.DURATION, "30s",
                    "PostgreSQL only: longest wait for the server's answer on an open connection (pgjdbc "
                            + "socketTimeout, whole seconds); bounds requests when the server vanishes silently"),
            ConfigProperty.optional(SSL_MODE, Type.STRING, null,
                    "PostgreSQL only: pgjdbc sslmode (disable, prefer, require, verify-ca, verify-full)"),
            ConfigProperty.optional(SSL_ROOT_CERT, Type.STRING, null,
                    "PostgreSQL only: the CA certificate file (PEM) that signs the server's certificate "
                            + "(pgjdbc sslrootcert); use with ssl-mode verify-full"),
            ConfigProperty.optional(CHANGE_POLL_INTERVAL, Type.DURATION, "1s",
                    "PostgreSQL only: while the LISTEN connection for change notifications is down, how often "
                            + "this node drops its caches of other nodes' state (the fallback bound)"));

    JdbcSettings {
        requireNonNull(dialect, "dialect is null");
        requireNonNull(url, "url is null");
        requireNonNull(connectionTimeout, "connectionTimeout is null");
        requireNonNull(busyTimeout, "busyTimeout is null");
        requireNonNull(sqliteSynchronous, "sqliteSynchronous is null");
    }

    static JdbcSettings from(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        String rawUrl = config.getString(URL, "").trim();
        Path dataDir = context.dataDirectory();
        String url = rawUrl.isEmpty()
                ? Dialect.SQLITE.urlPrefix() + dataDir.resolve(DEFAULT_SQLITE_FILE).toAbsolutePath()
                : rawUrl;
        Dialect dialect = Dialect.of(url);
        if (dialect == Dialect.SQLITE) {
            url = absoluteSqliteUrl(url, dataDir);
        }
        int maxPoolSize = config.getInt(MAX_POOL_SIZE, 10);
        if (maxPoolSize < 1 || maxPoolSize > 1000) {
            throw invalid(config, MAX_POOL_SIZE, "must be between 1 and 1000");
        }
        Duration connectionTimeout = config.getDuration(CONNECTION_TIMEOUT, Duration.ofSeconds(10));
        if (connectionTimeout.toMillis() < 250) {
            throw invalid(config, CONNECTION_TIMEOUT, "must be at least 250ms");
        }
        Duration busyTimeout = config.getDuration(BUSY_TIMEOUT, Duration.ofSeconds(5));
        if (busyTimeout.toMillis() > Integer.MAX_VALUE) {
            throw invalid(config, BUSY_TIMEOUT, "must be between 0 and 24 days");
        }
        String sync = config.getString(SQLITE_SYNCHRONOUS, "FULL").trim().toUpperCase(Locale.ROOT);
        if (!sync.equals("FULL") && !sync.equals("NORMAL")) {
            throw invalid(config, SQLITE_SYNCHRONOUS, "must be FULL or NORMAL");
        }
        String username = nonBlank(config.get(USERNAME).orElse(null));
        String password = nonEmpty(config.get(PASSWORD).orElse(null));
        boolean readCache = readCache(config, dialect);
        int readCacheSize = config.getInt(READ_CACHE_SIZE, DEFAULT_READ_CACHE_SIZE);
        if (readCacheSize < 1 || readCacheSize > MAX_READ_CACHE_SIZE) {
            throw invalid(config, READ_CACHE_SIZE, "must be between 1 and " + MAX_READ_CACHE_SIZE + " (got "
                    + readCacheSize + ")");
        }
        Duration queryTimeout = config.getDuration(QUERY_TIMEOUT, Duration.ofSeconds(30));
        if (queryTimeout.toSeconds() < 1 || queryTimeout.toSeconds() > 3600) {
            throw invalid(config, QUERY_TIMEOUT, "must be between 1s and 1h");
        }
        String sslMode = trimmed(config.get(SSL_MODE).orElse(null));
        if (sslMode != null && !List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
                .contains(sslMode)) {
            throw invalid(config, SSL_MODE, "must be disable, allow, prefer, require, verify-ca or verify-full (got '"
                    + sslMode + "')");
        }
        String sslRootCert = trimmed(config.get(SSL_ROOT_CERT).orElse(null));
        if (sslRootCert != null && !java.nio.file.Files.isReadable(Path.of(sslRootCert))) {
            throw invalid(config, SSL_ROOT_CERT, "names no readable file (" + sslRootCert + ")");
        }
        Duration changePoll = config.getDuration(CHANGE_POLL_INTERVAL, Duration.ofSeconds(1));
        if (changePoll.toMillis() < 100 || changePoll.toSeconds() > 3600) {
            throw invalid(config, CHANGE_POLL_INTERVAL, "must be between 100ms and 1h");
        }
        return new JdbcSettings(dialect, url, username, password, maxPoolSize, connectionTimeout, busyTimeout, sync,
                readCache, readCacheSize, queryTimeout, sslMode, sslRootCert, changePoll);
    }

    /**
     * {@code read-cache}: auto (on for SQLite only), on, off. The cache sees only this process's writes,
     * so it is refused for PostgreSQL, which several nodes share.
     */
    private static boolean readCache(ProviderConfig config, Dialect dialect) {
        String raw = config.getString(READ_CACHE, "auto");
        String mode = raw.trim().toLowerCase(Locale.ROOT);
        return switch (mode) {
            case "auto" -> dialect == Dialect.SQLITE;
            case "off" -> false;
            case "on" -> {
                if (dialect != Dialect.SQLITE) {
                    throw invalid(config, READ_CACHE, "cannot be 'on' with PostgreSQL: several vault nodes share "
                            + "the database and a node's cache would not see the others' writes (use auto or off)");
                }
                yield true;
            }
            default -> throw invalid(config, READ_CACHE, "must be auto, on or off (got '" + raw + "')");
        };
    }

    /** The URL with any password masked, for messages. */
    String redactedUrl() {
        return JdbcUrls.redact(url);
    }

    /** The SQLite database file. */
    Path sqliteFile() {
        String rest = url.substring(Dialect.SQLITE.urlPrefix().length());
        int q = rest.indexOf('?');
        return Path.of(q < 0 ? rest : rest.substring(0, q));
    }

    /** Makes a SQLite file path absolute against the data directory; refuses in-memory databases. */
    private static String absoluteSqliteUrl(String url, Path dataDir) {
        String rest = url.substring(Dialect.SQLITE.urlPrefix().length());
        String lower = rest.toLowerCase(Locale.ROOT);
        if (rest.isEmpty() || lower.startsWith(":memory:") || lower.contains("mode=memory")
                || lower.startsWith("file:") || lower.startsWith(":resource:")) {
            throw new VaultException(ErrorCode.CONFIGURATION, "configuration key 'url' of storage 'jdbc': use a plain "
                    + "SQLite file path (jdbc:sqlite:/path/to/file.db); in-memory, file: and resource databases are "
                    + "not durable or not supported (got " + JdbcUrls.redact(url) + ")");
        }
        int q = rest.indexOf('?');
        String path = q < 0 ? rest : rest.substring(0, q);
        String query = q < 0 ? "" : rest.substring(q);
        return Dialect.SQLITE.urlPrefix() + dataDir.resolve(path).toAbsolutePath().normalize() + query;
    }

    private static VaultException invalid(ProviderConfig config, String key, String what) {
        return new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + key + "' of storage '"
                + config.providerName() + "' " + what);
    }

    @Override
    public String toString() {
        return "JdbcSettings[dialect=" + dialect + ", url=" + redactedUrl() + ", username=" + username
                + ", password=" + (password == null ? "null" : "<masked>") + ", maxPoolSize=" + maxPoolSize
                + ", connectionTimeout=" + connectionTimeout + ", busyTimeout=" + busyTimeout
                + ", sqliteSynchronous=" + sqliteSynchronous + ", readCache=" + readCache
                + ", readCacheSize=" + readCacheSize + ", queryTimeout=" + queryTimeout + ", sslMode=" + sslMode
                + ", sslRootCert=" + sslRootCert + ", changePollInterval=" + changePollInterval + "]";
    }

    // issue 19: plain methods instead of lambdas on the factory's path (a plugin's lambdas are spun at every start)

    private static String nonBlank(String v) {
        return v == null || v.isBlank() ? null : v;
    }

    private static String nonEmpty(String v) {
        return v == null || v.isEmpty() ? null : v;
    }

    private static String trimmed(String v) {
        return v == null ? null : nonEmpty(v.trim());
    }
}
