package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Brings the database schema to the newest version this plugin knows, applying the numbered scripts
 * {@code db/migration/<dialect>/V<n>__<name>.sql} in order and recording each in {@code schema_version}
 * (version, description, CRC32 checksum of the script, install time).
 *
 * <p>Idempotent: applied versions are skipped, so every start runs it (first {@link #isCurrent}, a plain query). A database at a newer version
 * than this plugin knows, or whose recorded checksum differs from the script shipped here, stops
 * startup. Concurrency: on PostgreSQL the whole run holds a session advisory lock
 * ({@code pg_advisory_lock}), so nodes starting at once apply each script exactly once and the others
 * wait, then find nothing to do; each script runs in its own transaction together with its
 * {@code schema_version} row (PostgreSQL DDL is transactional). On SQLite the whole run is one
 * {@code BEGIN IMMEDIATE} transaction, which other processes wait for.
 */
final class SchemaMigrator {

    /** One migration script. */
    record Migration(int version, String description) {
        Migration {
            requireNonNull(description, "description is null");
        }

        String fileName() {
            return "V" + version + "__" + description + ".sql";
        }
    }

    /** Every migration, in order. A new script is added here and in both dialect folders. */
    static final List<Migration> MIGRATIONS = List.of(new Migration(1, "init"), new Migration(2, "leases"),
            new Migration(3, "latest_inline"));

    /** The advisory lock key: "animavlt" as 8 ASCII bytes. */
    static final long PG_LOCK_KEY = 0x616e696d61766c74L;

    private static final String CREATE_VERSION_TABLE = """
            CREATE TABLE IF NOT EXISTS schema_version (
                version      INTEGER PRIMARY KEY,
                description  TEXT    NOT NULL,
                checksum     BIGINT  NOT NULL,
                installed_at BIGINT  NOT NULL
            )""";

    private final Dialect dialect;
    private final Clock clock;

    SchemaMigrator(Dialect dialect, Clock clock) {
        this.dialect = requireNonNull(dialect, "dialect is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The newest schema version this plugin knows. */
    static int latestVersion() {
        return MIGRATIONS.get(MIGRATIONS.size() - 1).version();
    }

    /**
     * Whether the schema is current: every migration this plugin knows is recorded with its checksum and no
     * other version is. One plain JDBC query on a connection of {@code pool}, no lock: the path of every start
     * but the first after an upgrade (issue 19: Jdbi's statement parsing, its ANTLR lexer among it, is not on
     * it). False when unsure (no {@code schema_version} table yet, a newer or a changed version, any SQL
     * failure): {@link #migrate} then decides, under its lock, and reports what is wrong.
     *
     * @param pool the writing connection pool
     */
    boolean isCurrent(DataSource pool) {
        Map<Integer, Long> applied = new HashMap<>();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version, checksum FROM schema_version")) {
            while (rs.next()) {
                applied.put(rs.getInt(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            return false;
        }
        if (applied.size() != MIGRATIONS.size()) {
            return false;
        }
        for (Migration m : MIGRATIONS) {
            Long recorded = applied.get(m.version());
            if (recorded == null || recorded != checksum(script(m))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Applies pending migrations.
     *
     * @param jdbi the writing connection pool
     * @return the versions applied by this call (empty when the schema was current)
     */
    List<Integer> migrate(Jdbi jdbi) {
        return switch (dialect) {
            case SQLITE -> jdbi.inTransaction(h -> applyPending(h, true)); // writer pool: BEGIN IMMEDIATE
            case POSTGRESQL -> jdbi.withHandle(h -> {
                // pg_advisory_lock returns void: select a constant once it has returned
                h.createQuery("SELECT 1 FROM (SELECT pg_advisory_lock(:key)) AS locked").bind("key", PG_LOCK_KEY)
                        .mapTo(Integer.class).one();
                try {
                    h.execute(CREATE_VERSION_TABLE);
                    return applyPending(h, false);
                } finally {
                    h.createQuery("SELECT pg_advisory_unlock(:key)").bind("key", PG_LOCK_KEY)
                            .mapTo(Boolean.class).one();
                }
            });
        };
    }

    private List<Integer> applyPending(Handle h, boolean inOneTransaction) {
        if (inOneTransaction) {
            h.execute(CREATE_VERSION_TABLE);
        }
        Map<Integer, Long> applied = new TreeMap<>();
        h.createQuery("SELECT version, checksum FROM schema_version")
                .map((rs, ctx) -> Map.entry(rs.getInt(1), rs.getLong(2)))
                .forEach(e -> applied.put(e.getKey(), e.getValue()));
        int newest = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (newest > latestVersion()) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "the database schema is at version " + newest
                    + " but this storage-jdbc plugin knows versions up to " + latestVersion()
                    + ": upgrade the plugin (downgrades are not supported)");
        }
        List<Integer> done = new java.util.ArrayList<>();
        for (Migration m : MIGRATIONS) {
            String script = script(m);
            long checksum = checksum(script);
            Long recorded = applied.get(m.version());
            if (recorded != null) {
                if (recorded != checksum) {
                    throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "schema migration " + m.fileName()
                            + " (" + dialect.migrationFolder() + ") differs from the one applied to this database");
                }
                continue;
            }
            if (inOneTransaction) {
                apply(h, m, script, checksum);
            } else {
                h.useTransaction(tx -> apply(tx, m, script, checksum));
            }
            done.add(m.version());
        }
        return List.copyOf(done);
    }

    private void apply(Handle h, Migration m, String script, long checksum) {
        h.createScript(script).executeAsSeparateStatements();
        h.createUpdate("INSERT INTO schema_version (version, description, checksum, installed_at) "
                        + "VALUES (:version, :description, :checksum, :installedAt)")
                .bind("version", m.version())
                .bind("description", m.description())
                .bind("checksum", checksum)
                .bind("installedAt", Codec.micros(clock.instant()))
                .execute();
    }

    /** The script's text, read from the plugin's resources. */
    String script(Migration m) {
        String path = dialect.migrationFolder() + "/" + m.fileName();
        try (InputStream in = SchemaMigrator.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("migration script " + path + " is missing from the plugin");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migration script " + path, e);
        }
    }

    /** CRC32 of the script with line endings normalised (a checkout with CRLF does not count as a change). */
    static long checksum(String script) {
        CRC32 crc = new CRC32();
        crc.update(script.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }
}
