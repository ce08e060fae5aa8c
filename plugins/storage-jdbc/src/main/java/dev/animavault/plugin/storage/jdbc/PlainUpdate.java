package dev.animavault.plugin.storage.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import org.jdbi.v3.core.Handle;

/**
 * One {@code INSERT}/{@code UPDATE} with positional parameters, run as a plain JDBC prepared statement on a
 * Jdbi handle's connection. For the hottest writes (a secret's create and new version): on SQLite they run
 * inside the single writer's serial turn, where Jdbi's per-statement machinery (configuration and argument
 * factory look-ups, statement context, listeners) cost more than SQLite's own work. On SQLite the
 * statements are also kept prepared ({@link WriterStatements}, through {@link JdbcAccess#update}); this
 * class prepares one per call (PostgreSQL, whose driver caches prepared statements itself). Stateless.
 */
final class PlainUpdate {
    private PlainUpdate() {
    }

    /**
     * Runs {@code sql} with {@code args} bound in order ({@link String}, {@link Integer}, {@link Long},
     * {@code byte[]} or null) and returns the update count.
     *
     * @throws IllegalStateException with the {@link SQLException} as its cause (classified by
     *         {@link SqlErrors}); its message names neither the statement's values nor the database
     */
    static int run(Handle h, String sql, Object... args) {
        try (PreparedStatement ps = h.getConnection().prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("statement failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Binds {@code args} in order: {@link String}, {@link Integer}, {@link Long}, {@code byte[]} or null. */
    static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            int at = i + 1;
            switch (args[i]) {
                case null -> ps.setNull(at, Types.VARCHAR);
                case String v -> ps.setString(at, v);
                case Integer v -> ps.setInt(at, v);
                case Long v -> ps.setLong(at, v);
                case byte[] v -> ps.setBytes(at, v);
                default -> throw new IllegalArgumentException("unsupported parameter type "
                        + args[i].getClass().getName());
            }
        }
    }
}
