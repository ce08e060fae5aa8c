package dev.animavault.plugin.audit.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.StringMapJson;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The queries of the {@link JdbcAuditSink}: the SQL of an {@link AuditQuery} (on the organization's
 * indexes, newest first by {@code seq}), the cursor ({@code j1:<seq>} of the last row returned), and the
 * reading of rows back into events. Thread-safe (a connection per query).
 */
final class JdbcAuditQueries {
    private static final String CURSOR_PREFIX = "j1:";
    /** Time windows with at most this many rows are read through the time index (SQLite). */
    static final int NARROW_WINDOW_ROWS = 20_000;
    /** The event columns, in the order {@link #eventAt} reads them. */
    static final String COLUMNS = "seq, event_id, ts_ns, action, outcome, organization_id, identity_id, "
            + "secret_key, version, actor, request_id, remote_address, error_code, details";

    private final HikariDataSource dataSource;
    private final boolean sqlite;
    private final String where;

    JdbcAuditQueries(HikariDataSource dataSource, boolean sqlite, String where) {
        this.dataSource = dataSource;
        this.sqlite = sqlite;
        this.where = where;
    }

    /** The page of events the query asks for (the sink checked it is open). */
    Page<AuditEvent> query(AuditQuery q) {
        List<Object> args = new ArrayList<>();
        String sql = selectSql(q, args);
        int limit = q.page().limit();
        List<AuditEvent> items = new ArrayList<>(Math.min(limit, 256));
        long lastSeq = -1;
        boolean more = false;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) {
                Object a = args.get(i);
                if (a instanceof Long l) {
                    ps.setLong(i + 1, l);
                } else if (a instanceof Integer n) {
                    ps.setInt(i + 1, n);
                } else {
                    ps.setString(i + 1, (String) a);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (items.size() == limit) {
                        more = true;
                        break;
                    }
                    lastSeq = rs.getLong(1);
                    items.add(eventAt(rs, 0));
                }
            }
        } catch (SQLException e) {
            throw JdbcAuditSink.unavailable(where, "query failed", e);
        }
        return new Page<>(items, more ? Optional.of(CURSOR_PREFIX + lastSeq) : Optional.empty());
    }

    /**
     * The query's SQL, its arguments appended to {@code args}. On SQLite, which keeps no statistics unless
     * ANALYZE runs, the planner cannot tell that an identity's rows are far fewer than a secret key's (the
     * same key name, e.g. OPENAI_API_KEY, is used by many identities) and picked the secret-key index for
     * identity + secretKey queries: 50-160 ms at 10^6 events instead of a few. An identity filter names its
     * index (package-private for the plan test).
     */
    String selectSql(AuditQuery q, List<Object> args) {
        long before = q.page().cursor().map(JdbcAuditQueries::decodeCursor).orElse(Long.MAX_VALUE);
        String index = narrowWindow(q) ? " INDEXED BY audit_event_time"
                : sqlite && q.identityId().isPresent() ? " INDEXED BY audit_event_identity" : "";
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM audit_event")
                .append(index)
                .append(" WHERE organization_id = ? AND seq < ?");
        args.add(q.organizationId());
        args.add(before);
        filter(sql, args, "identity_id", q.identityId());
        filter(sql, args, "action", q.action());
        filter(sql, args, "secret_key", q.secretKey());
        filter(sql, args, "actor", q.actor());
        filter(sql, args, "outcome", q.outcome().map(Enum::name));
        q.from().ifPresent(f -> {
            sql.append(" AND ts_ns >= ?");
            args.add(JdbcAuditSink.nanos(f));
        });
        q.to().ifPresent(t -> {
            sql.append(" AND ts_ns < ?");
            args.add(JdbcAuditSink.nanos(t));
        });
        sql.append(" ORDER BY seq DESC LIMIT ?");
        args.add(q.page().limit() + 1);
        return sql.toString();
    }

    /**
     * SQLite only: whether a time window holds few enough rows to read them through the time index and
     * sort them, instead of walking the organization's rows newest first until the window (which, for a
     * window far in the past, reads everything written since). Counting uses the time index only.
     */
    private boolean narrowWindow(AuditQuery q) {
        if (!sqlite || q.from().isEmpty() && q.to().isEmpty()) {
            return false;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT COUNT(*) FROM (SELECT 1 FROM audit_event INDEXED BY audit_event_time WHERE organization_id = ? "
                        + "AND ts_ns >= ? AND ts_ns < ? LIMIT " + (NARROW_WINDOW_ROWS + 1) + ")")) {
            ps.setString(1, q.organizationId());
            ps.setLong(2, q.from().map(JdbcAuditSink::nanos).orElse(Long.MIN_VALUE));
            ps.setLong(3, q.to().map(JdbcAuditSink::nanos).orElse(Long.MAX_VALUE));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) <= NARROW_WINDOW_ROWS;
            }
        } catch (SQLException e) {
            throw JdbcAuditSink.unavailable(where, "query failed", e);
        }
    }

    private static void filter(StringBuilder sql, List<Object> args, String column, Optional<String> value) {
        value.ifPresent(v -> {
            sql.append(" AND ").append(column).append(" = ?");
            args.add(v);
        });
    }

    private static long decodeCursor(String cursor) {
        if (!cursor.startsWith(CURSOR_PREFIX)) {
            throw badCursor();
        }
        try {
            long seq = Long.parseLong(cursor.substring(CURSOR_PREFIX.length()));
            if (seq < 1) {
                throw badCursor();
            }
            return seq;
        } catch (NumberFormatException e) {
            throw badCursor();
        }
    }

    private static VaultException badCursor() {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, "malformed audit cursor");
    }

    /** The event in a result whose {@link #COLUMNS} start after column {@code offset}. */
    static AuditEvent eventAt(ResultSet rs, int offset) throws SQLException {
        int o = offset;
        long ns = rs.getLong(o + 3);
        int version = rs.getInt(o + 9);
        Integer v = rs.wasNull() ? null : version;
        return new AuditEvent(rs.getString(o + 2), Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L),
                Math.floorMod(ns, 1_000_000_000L)), rs.getString(o + 4), AuditOutcome.valueOf(rs.getString(o + 5)),
                rs.getString(o + 6), rs.getString(o + 7), rs.getString(o + 8), v, rs.getString(o + 10),
                rs.getString(o + 11), rs.getString(o + 12), rs.getString(o + 13),
                StringMapJson.decode(rs.getString(o + 14)));
    }
}
