package dev.animavault.plugin.audit.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ConfigProperty.Type;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * Creates {@link JdbcAuditSink}s. Stateless and thread-safe. Settings in the style of the {@code jdbc}
 * storage backend: {@code url} ({@code jdbc:sqlite:<file>} or {@code jdbc:postgresql://...}; empty: the
 * SQLite file {@value #DEFAULT_SQLITE_FILE} in the data directory, a file of its own so it never contends
 * with the storage database's lock), {@code username}, {@code password} (sensitive),
 * {@code max-pool-size}, {@code connection-timeout}.
 */
public final class JdbcAuditSinkFactory implements AuditSinkFactory {
    /** The factory name configuration uses ({@code audit: [{type: jdbc, ...}]}). */
    public static final String NAME = "jdbc";
    static final String URL = "url";
    static final String USERNAME = "username";
    static final String PASSWORD = "password";
    static final String MAX_POOL_SIZE = "max-pool-size";
    static final String CONNECTION_TIMEOUT = "connection-timeout";
    /** The default SQLite file inside the data directory. */
    public static final String DEFAULT_SQLITE_FILE = "audit.db";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Audit events in SQLite or PostgreSQL, indexed and hash-chained per organization; queryable";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(
                ConfigProperty.optional(URL, Type.STRING, "",
                        "JDBC URL: jdbc:sqlite:<file> or jdbc:postgresql://host:port/db; empty for the SQLite file "
                                + DEFAULT_SQLITE_FILE + " in the data directory (relative SQLite paths resolve there)"),
                ConfigProperty.optional(USERNAME, Type.STRING, null, "database user (PostgreSQL)"),
                ConfigProperty.optional(PASSWORD, Type.STRING, null, "database password (PostgreSQL)").asSensitive(),
                ConfigProperty.optional(MAX_POOL_SIZE, Type.INTEGER, "4", "largest number of pooled connections"),
                ConfigProperty.optional(CONNECTION_TIMEOUT, Type.DURATION, "10s",
                        "how long a write or query waits for a connection before failing with audit_unavailable"));
    }

    @Override
    public AuditSink create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        String url = config.getString(URL, "").trim();
        Path dataDir = context.dataDirectory();
        boolean sqlite;
        if (url.isEmpty()) {
            url = "jdbc:sqlite:" + dataDir.resolve(DEFAULT_SQLITE_FILE).toAbsolutePath();
            sqlite = true;
        } else if (url.startsWith("jdbc:sqlite:")) {
            String file = url.substring("jdbc:sqlite:".length());
            if (file.isEmpty() || file.startsWith(":memory:") || file.startsWith("file:")) {
                throw new VaultException(ErrorCode.CONFIGURATION, "audit sink 'jdbc': url must name a SQLite file");
            }
            url = "jdbc:sqlite:" + dataDir.resolve(file).toAbsolutePath();
            sqlite = true;
        } else if (url.startsWith("jdbc:postgresql:")) {
            sqlite = false;
        } else {
            throw new VaultException(ErrorCode.CONFIGURATION, "audit sink 'jdbc': url must start with jdbc:sqlite: or "
                    + "jdbc:postgresql:");
        }
        if (sqlite) {
            prepareSqliteFile(Path.of(url.substring("jdbc:sqlite:".length())));
        }
        int pool = config.getInt(MAX_POOL_SIZE, 4);
        if (pool < 1 || pool > 100) {
            throw new VaultException(ErrorCode.CONFIGURATION, "audit sink 'jdbc': " + MAX_POOL_SIZE
                    + " must be between 1 and 100");
        }
        Duration timeout = config.getDuration(CONNECTION_TIMEOUT, Duration.ofSeconds(10));
        if (timeout.toMillis() < 250) {
            throw new VaultException(ErrorCode.CONFIGURATION, "audit sink 'jdbc': " + CONNECTION_TIMEOUT
                    + " must be at least 250ms");
        }
        HikariConfig c = new HikariConfig();
        c.setPoolName("anima-vault-audit-" + (sqlite ? "sqlite" : "postgresql"));
        c.setJdbcUrl(url);
        c.setDriverClassName(sqlite ? "org.sqlite.JDBC" : "org.postgresql.Driver");
        c.setMaximumPoolSize(pool);
        c.setMinimumIdle(1);
        c.setConnectionTimeout(timeout.toMillis());
        c.setValidationTimeout(Math.min(5000, Math.max(250, timeout.toMillis() / 2)));
        Properties p = new Properties();
        if (sqlite) {
            p.setProperty("journal_mode", "WAL");
            p.setProperty("synchronous", "FULL");
            p.setProperty("busy_timeout", "5000");
            p.setProperty("transaction_mode", "IMMEDIATE");
        } else {
            config.get(USERNAME).filter(s -> !s.isBlank()).ifPresent(c::setUsername);
            config.get(PASSWORD).filter(s -> !s.isEmpty()).ifPresent(c::setPassword);
            p.setProperty("ApplicationName", "anima-vault-audit");
            p.setProperty("logServerErrorDetail", "false");
        }
        c.setDataSourceProperties(p);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(c);
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink 'jdbc': cannot connect to "
                    + redact(url) + ": " + cause.getClass().getSimpleName(), e);
        }
        try {
            return JdbcAuditSink.open(ds, sqlite, redact(url));
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
    }

    /** Creates the database file readable by its owner only (0600) before SQLite opens it. */
    private static void prepareSqliteFile(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!Files.exists(file) && parent != null && Files.getFileStore(parent).supportsFileAttributeView("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
        } catch (FileAlreadyExistsException e) {
            // another process created it at the same moment
        } catch (IOException e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink 'jdbc': cannot create " + file + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /** The URL without its query (which may carry a password). */
    static String redact(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?...";
    }

    @Override
    public String toString() {
        return "JdbcAuditSinkFactory[" + NAME + "]";
    }
}
