package dev.animavault.plugin.audit.jdbc;

import dev.animavault.spi.StringMapJson;
import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariDataSource;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An audit sink in a SQL database (SQLite or PostgreSQL). Each event is one row of {@code audit_event};
 * rows are indexed by organization with identity, action, secret key and actor, so queries read only
 * matching rows, newest first by the row's sequence number ({@code seq}, the write order).
 *
 * <p>Hash chain per organization: a row carries its organization's sequence number {@code org_seq} and
 * {@code prev}/{@code hash}, where {@code hash = SHA-256(prev, chain key, org_seq, every field)} (see
 * {@link #hash}) and {@code prev} is the hash of the organization's previous row (64 zeros for the first).
 * {@code audit_chain_head} holds each chain's last {@code org_seq} and hash; a batch locks the heads it
 * extends ({@code SELECT ... FOR UPDATE} on PostgreSQL, the database write lock on SQLite), so several
 * vault nodes sharing PostgreSQL extend each chain one at a time, and {@code UNIQUE(chain_key, org_seq)}
 * forbids a fork. {@link #verify(String)} walks a chain.
 *
 * <p>Thread-safe. Writes of one sink are serialized (one transaction per batch); queries run concurrently.
 */
public final class JdbcAuditSink implements QueryableAuditSink, dev.animavault.spi.audit.VerifiableAuditSink {
    /** The {@code prev} of a chain's first row. */
    public static final String GENESIS = "0".repeat(64);
    private static final String CURSOR_PREFIX = "j1:";
    /** Time windows with at most this many rows are read through the time index (SQLite). */
    static final int NARROW_WINDOW_ROWS = 20_000;
    private static final HexFormat HEX = HexFormat.of();
    private static final String COLUMNS = "seq, event_id, ts_ns, action, outcome, organization_id, identity_id, "
            + "secret_key, version, actor, request_id, remote_address, error_code, details";

    private final HikariDataSource dataSource;
    private final boolean sqlite;
    private final String where;
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile boolean closed;
    private volatile String lastWriteError;

    private JdbcAuditSink(HikariDataSource dataSource, boolean sqlite, String where) {
        this.dataSource = dataSource;
        this.sqlite = sqlite;
        this.where = where;
    }

    /** Creates the tables and indexes when missing; the sink then owns {@code dataSource} and closes it. */
    static JdbcAuditSink open(HikariDataSource dataSource, boolean sqlite, String where) {
        JdbcAuditSink sink = new JdbcAuditSink(dataSource, sqlite, where);
        sink.createSchema();
        return sink;
    }

    private void createSchema() {
        String seq = sqlite ? "seq INTEGER PRIMARY KEY AUTOINCREMENT" : "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
        List<String> ddl = List.of(
                "CREATE TABLE IF NOT EXISTS audit_event (" + seq + ", chain_key TEXT NOT NULL, org_seq BIGINT NOT NULL, "
                        + "event_id TEXT NOT NULL, ts_ns BIGINT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, "
                        + "organization_id TEXT, identity_id TEXT, secret_key TEXT, version INTEGER, actor TEXT, "
                        + "request_id TEXT, remote_address TEXT, error_code TEXT, details TEXT NOT NULL, "
                        + "prev TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (chain_key, org_seq))",
                "CREATE TABLE IF NOT EXISTS audit_chain_head (chain_key TEXT PRIMARY KEY, org_seq BIGINT NOT NULL, "
                        + "hash TEXT NOT NULL)",
                "CREATE INDEX IF NOT EXISTS audit_event_org ON audit_event (organization_id, seq)",
                "CREATE INDEX IF NOT EXISTS audit_event_identity ON audit_event (organization_id, identity_id, seq)",
                "CREATE INDEX IF NOT EXISTS audit_event_action ON audit_event (organization_id, action, seq)",
                "CREATE INDEX IF NOT EXISTS audit_event_secret ON audit_event (organization_id, secret_key, seq)",
                "CREATE INDEX IF NOT EXISTS audit_event_actor ON audit_event (organization_id, actor, seq)",
                "CREATE INDEX IF NOT EXISTS audit_event_time ON audit_event (organization_id, ts_ns)");
        writeLock.lock();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            for (String s : ddl) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw unavailable("cannot create the audit tables", e);
        } finally {
            writeLock.unlock();
        }
    }

    /** The chain an event belongs to: its organization, or "" for events without one. */
    static String chainKey(String organizationId) {
        return organizationId == null ? "" : organizationId;
    }

    @Override
    public void probe() {
        ensureOpen();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM audit_chain_head")) {
            rs.next();
        } catch (SQLException e) {
            throw unavailable("probe failed", e);
        }
    }

    @Override
    public void write(List<AuditEvent> events) {
        requireNonNull(events, "events is null");
        ensureOpen();
        if (events.isEmpty()) {
            return;
        }
        for (AuditEvent e : events) {
            requireNonNull(e, "event is null");
        }
        writeLock.lock();
        try {
            ensureOpen();
            writeBatch(events);
            lastWriteError = null;
        } catch (SQLException e) {
            lastWriteError = "the last write failed (" + e.getClass().getSimpleName() + ")";
            throw unavailable("write failed", e);
        } finally {
            writeLock.unlock();
        }
    }

    private record Head(long orgSeq, String hash) {
    }

    private void writeBatch(List<AuditEvent> events) throws SQLException {
        MessageDigest sha256 = sha256();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                // heads in a fixed order: two nodes locking the same chains never deadlock
                TreeSet<String> keys = new TreeSet<>();
                for (AuditEvent e : events) {
                    keys.add(chainKey(e.organizationId()));
                }
                Map<String, Head> heads = new LinkedHashMap<>();
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO audit_chain_head (chain_key, org_seq, hash) "
                        + "VALUES (?, 0, ?) ON CONFLICT (chain_key) DO NOTHING");
                     PreparedStatement sel = c.prepareStatement("SELECT org_seq, hash FROM audit_chain_head WHERE chain_key = ?"
                             + (sqlite ? "" : " FOR UPDATE"))) {
                    for (String k : keys) {
                        ins.setString(1, k);
                        ins.setString(2, GENESIS);
                        ins.executeUpdate();
                        sel.setString(1, k);
                        try (ResultSet rs = sel.executeQuery()) {
                            rs.next();
                            heads.put(k, new Head(rs.getLong(1), rs.getString(2)));
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_event (chain_key, org_seq, event_id, "
                        + "ts_ns, action, outcome, organization_id, identity_id, secret_key, version, actor, request_id, "
                        + "remote_address, error_code, details, prev, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                    for (AuditEvent e : events) {
                        String k = chainKey(e.organizationId());
                        Head h = heads.get(k);
                        long orgSeq = h.orgSeq() + 1;
                        String details = StringMapJson.encode(e.details());
                        String hash = hash(sha256, h.hash(), k, orgSeq, e, details);
                        int i = 1;
                        ps.setString(i++, k);
                        ps.setLong(i++, orgSeq);
                        ps.setString(i++, e.id());
                        ps.setLong(i++, nanos(e.timestamp()));
                        ps.setString(i++, e.action());
                        ps.setString(i++, e.outcome().name());
                        ps.setString(i++, e.organizationId());
                        ps.setString(i++, e.identityId());
                        ps.setString(i++, e.secretKey());
                        if (e.version() == null) {
                            ps.setNull(i++, Types.INTEGER);
                        } else {
                            ps.setInt(i++, e.version());
                        }
                        ps.setString(i++, e.actor());
                        ps.setString(i++, e.requestId());
                        ps.setString(i++, e.remoteAddress());
                        ps.setString(i++, e.errorCode());
                        ps.setString(i++, details);
                        ps.setString(i++, h.hash());
                        ps.setString(i, hash);
                        ps.addBatch();
                        heads.put(k, new Head(orgSeq, hash));
                    }
                    ps.executeBatch();
                }
                try (PreparedStatement up = c.prepareStatement("UPDATE audit_chain_head SET org_seq = ?, hash = ? "
                        + "WHERE chain_key = ?")) {
                    for (Map.Entry<String, Head> h : heads.entrySet()) {
                        up.setLong(1, h.getValue().orgSeq());
                        up.setString(2, h.getValue().hash());
                        up.setString(3, h.getKey());
                        up.addBatch();
                    }
                    up.executeBatch();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /**
     * The hash of a row: SHA-256 over {@code prev}, the chain key, {@code org_seq} and every field, each
     * written as {@code <length>:<UTF-8 text>} ({@code -} for null) and joined by {@code \n}; details in
     * their stored (sorted, escaped) form. Lower-case hex.
     */
    static String hash(MessageDigest sha256, String prev, String chainKey, long orgSeq, AuditEvent e, String details) {
        StringBuilder sb = new StringBuilder(256);
        field(sb, prev);
        field(sb, chainKey);
        field(sb, Long.toString(orgSeq));
        field(sb, e.id());
        field(sb, Long.toString(nanos(e.timestamp())));
        field(sb, e.action());
        field(sb, e.outcome().name());
        field(sb, e.organizationId());
        field(sb, e.identityId());
        field(sb, e.secretKey());
        field(sb, e.version() == null ? null : e.version().toString());
        field(sb, e.actor());
        field(sb, e.requestId());
        field(sb, e.remoteAddress());
        field(sb, e.errorCode());
        field(sb, details);
        sha256.reset();
        return HEX.formatHex(sha256.digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void field(StringBuilder sb, String v) {
        if (v == null) {
            sb.append('-');
        } else {
            sb.append(v.length()).append(':').append(v);
        }
        sb.append('\n');
    }

    /** Nanoseconds since the epoch, saturating (the column is a BIGINT: years 1677 to 2262). */
    static long nanos(Instant t) {
        try {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
        } catch (ArithmeticException e) {
            return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** Every filter, secret key, actor and outcome included, is applied by the index. */
    @Override
    public java.util.Set<AuditQuery.Filter> supportedFilters() {
        return AuditQuery.Filter.ALL;
    }

    @Override
    public Page<AuditEvent> query(AuditQuery q) {
        requireNonNull(q, "query is null");
        ensureOpen();
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
            throw unavailable("query failed", e);
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
        long before = q.page().cursor().map(JdbcAuditSink::decodeCursor).orElse(Long.MAX_VALUE);
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
            args.add(nanos(f));
        });
        q.to().ifPresent(t -> {
            sql.append(" AND ts_ns < ?");
            args.add(nanos(t));
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
            throw unavailable("query failed", e);
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

    /**
     * Walks one organization's chain in {@code org_seq} order, recomputing every hash, and checks the head.
     *
     * @param organizationId the organization (null: events without one)
     * @return the {@code org_seq} of the first row that was modified, inserted, deleted (the row after a gap)
     *         or reordered, {@code rows + 1} when rows were removed from the end (the head records more),
     *         or -1 when the chain verifies
     */
    public long verify(String organizationId) {
        ensureOpen();
        String key = chainKey(organizationId);
        MessageDigest sha256 = sha256();
        String prev = GENESIS;
        long expected = 1;
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT org_seq, prev, hash, " + COLUMNS
                    + " FROM audit_event WHERE chain_key = ? ORDER BY org_seq")) {
                ps.setString(1, key);
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long orgSeq = rs.getLong(1);
                        if (orgSeq != expected || !prev.equals(rs.getString(2))) {
                            return expected;
                        }
                        AuditEvent e = eventAt(rs, 3);
                        String stored = rs.getString(3);
                        String details = rs.getString(17);
                        if (!stored.equals(hash(sha256, prev, key, orgSeq, e, details))) {
                            return orgSeq;
                        }
                        prev = stored;
                        expected++;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT org_seq, hash FROM audit_chain_head WHERE chain_key = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    boolean head = rs.next();
                    if (head && (rs.getLong(1) != expected - 1 || !rs.getString(2).equals(prev))) {
                        return expected;
                    }
                    if (!head && expected > 1) {
                        return expected;    // rows without a head: it is written with every batch, so it was deleted
                    }
                }
            }
        } catch (SQLException e) {
            throw unavailable("verify failed", e);
        }
        return -1;
    }

    /**
     * Every chain in the database (from the rows and from the heads, so a chain whose rows were all
     * deleted is still checked), named by organization id ({@code ""} for events without one), in name
     * order.
     */
    @Override
    public List<ChainVerification> verifyTrail() {
        ensureOpen();
        java.util.TreeMap<String, Long> chains = new java.util.TreeMap<>();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT chain_key, COUNT(*) FROM audit_event GROUP BY chain_key")) {
                while (rs.next()) {
                    chains.put(rs.getString(1), rs.getLong(2));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT chain_key FROM audit_chain_head")) {
                while (rs.next()) {
                    chains.putIfAbsent(rs.getString(1), 0L);
                }
            }
        } catch (SQLException e) {
            throw unavailable("verify failed", e);
        }
        List<ChainVerification> out = new ArrayList<>();
        for (var chain : chains.entrySet()) {
            String key = chain.getKey();
            long rows = chain.getValue();
            long bad = verify(key.isEmpty() ? null : key);
            if (bad < 0) {
                out.add(new ChainVerification(key, rows, java.util.OptionalLong.empty(), null));
            } else {
                out.add(new ChainVerification(key, rows, java.util.OptionalLong.of(bad), bad > rows
                        ? "the chain head does not match the last of the " + rows + " stored records (records "
                                + "removed from the end, or the head edited or deleted)"
                        : "record " + bad + " was modified, inserted, deleted or reordered (its hash or link does "
                                + "not match)"));
            }
        }
        return out;
    }

    /** The event in a result whose {@link #COLUMNS} start after column {@code offset}. */
    private static AuditEvent eventAt(ResultSet rs, int offset) throws SQLException {
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

    @Override
    public AuditSinkHealth health() {
        if (closed) {
            return AuditSinkHealth.unavailable("the audit sink is closed");
        }
        String error = lastWriteError;
        return error == null ? AuditSinkHealth.ok() : AuditSinkHealth.degraded(error);
    }

    private void ensureOpen() {
        if (closed) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink 'jdbc' (" + where + ") is closed");
        }
    }

    private VaultException unavailable(String what, SQLException e) {
        return new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink 'jdbc' (" + where + "): " + what + ": "
                + e.getClass().getSimpleName() + " (SQL state " + e.getSQLState() + ")", e);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Closes the connection pool; waits for a write in progress. Idempotent. */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            dataSource.close();
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "JdbcAuditSink[" + where + ", closed=" + closed + "]";
    }
}
