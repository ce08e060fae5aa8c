package dev.animavault.plugin.audit.jdbc;

import dev.animavault.spi.StringMapJson;
import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariDataSource;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private static final HexFormat HEX = HexFormat.of();

    private final HikariDataSource dataSource;
    private final boolean sqlite;
    private final String where;
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile boolean closed;
    private volatile String lastWriteError;
    private final JdbcAuditQueries queries;
    private final JdbcAuditChains chains;

    private JdbcAuditSink(HikariDataSource dataSource, boolean sqlite, String where) {
        this.dataSource = dataSource;
        this.sqlite = sqlite;
        this.where = where;
        this.queries = new JdbcAuditQueries(dataSource, sqlite, where);
        this.chains = new JdbcAuditChains(dataSource, where, this::ensureOpen);
    }

    /** The SQL of a query, its arguments appended to {@code args} (for the plan test). */
    String selectSql(AuditQuery q, List<Object> args) {
        return queries.selectSql(q, args);
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
        return queries.query(q);
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
        return chains.verify(organizationId);
    }

    /**
     * Every chain in the database (from the rows and from the heads, so a chain whose rows were all
     * deleted is still checked), named by organization id ({@code ""} for events without one), in name
     * order.
     */
    @Override
    public List<ChainVerification> verifyTrail() {
        return chains.verifyTrail();
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
        return unavailable(where, what, e);
    }

    /** {@code AUDIT_UNAVAILABLE} for a failed statement of the sink at {@code where}. */
    static VaultException unavailable(String where, String what, SQLException e) {
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
