package dev.animavault.plugin.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * The SQLite writing connection's kept statements: each {@code INSERT}, {@code UPDATE} or savepoint
 * statement of the hottest writes is compiled once per connection and then only re-bound and re-run,
 * instead of being prepared, run and finalized on every call (sqlite-jdbc has no statement cache; a
 * profile of 32 concurrent creates put statement preparation, sqlite-jdbc's statement bookkeeping and
 * its per-{@code execute} command parsing at about a third of the single writer's Java time, inside
 * the serial turn every concurrent writer waits for).
 *
 * <p>Statements are prepared on the pooled connection's underlying {@code SQLiteConnection} (HikariCP
 * does not track, and so never closes, them) and keyed by that connection: when the pool hands out
 * another one (the old one was closed, which finalized its statements), the kept ones are dropped and
 * prepared again (the old ones are finalized with their connection). {@link PreparedStatement#executeUpdate()} resets the statement after it ran or
 * failed, so a kept statement holds no lock or snapshot between calls, and binding every parameter on
 * every call leaves nothing of the previous call.
 *
 * <p><b>Threading:</b> used only by the holder of the single writing connection (the group commit's
 * current batch), one call at a time; not thread-safe otherwise. The pool's hand-over of the connection
 * orders one holder's use before the next one's.
 */
final class WriterStatements {

    /** The connection the kept statements belong to; null before the first call. */
    private Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    /**
     * Runs {@code sql} on the handle's connection with {@code args} bound in order (see
     * {@link PlainUpdate#bind}) and returns the update count.
     *
     * @throws IllegalStateException with the {@link SQLException} as its cause (classified by
     *         {@link SqlErrors}); its message names neither the statement's values nor the database
     */
    int update(Handle h, String sql, Object... args) {
        try {
            PreparedStatement ps = statement(h, sql);
            PlainUpdate.bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("statement failed: " + e.getClass().getSimpleName(), e);
        }
    }

    private PreparedStatement statement(Handle h, String sql) throws SQLException {
        Connection c = h.getConnection();
        Connection raw = c.isWrapperFor(org.sqlite.SQLiteConnection.class) ? c.unwrap(org.sqlite.SQLiteConnection.class) : c;
        if (raw != connection) {
            forget();
            connection = raw;
        }
        PreparedStatement ps = statements.get(sql);
        if (ps == null || ps.isClosed()) {
            ps = raw.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    /**
     * Drops the kept statements without closing them: they belong to a connection that the pool closed
     * (or is closing, possibly on its own thread), and closing a connection finalizes its statements.
     */
    private void forget() {
        statements.clear();
        connection = null;
    }

    /** Test hook: how many statements are kept. */
    int kept() {
        return statements.size();
    }
}
