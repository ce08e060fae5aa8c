package dev.animavault.plugin.audit.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.VerifiableAuditSink.ChainVerification;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The verification of the {@link JdbcAuditSink}'s hash chains: one organization's chain walked in
 * {@code org_seq} order with every hash recomputed ({@link JdbcAuditSink#hash}) and its head checked, or
 * every chain in the database. Thread-safe (a connection per walk).
 */
final class JdbcAuditChains {
    private final HikariDataSource dataSource;
    private final String where;
    /** The sink's open check, made before every walk. */
    private final Runnable ensureOpen;

    JdbcAuditChains(HikariDataSource dataSource, String where, Runnable ensureOpen) {
        this.dataSource = dataSource;
        this.where = where;
        this.ensureOpen = ensureOpen;
    }

    /**
     * Walks one organization's chain in {@code org_seq} order, recomputing every hash, and checks the head.
     *
     * @param organizationId the organization (null: events without one)
     * @return the {@code org_seq} of the first row that was modified, inserted, deleted (the row after a gap)
     *         or reordered, {@code rows + 1} when rows were removed from the end (the head records more),
     *         or -1 when the chain verifies
     */
    long verify(String organizationId) {
        ensureOpen.run();
        String key = JdbcAuditSink.chainKey(organizationId);
        MessageDigest sha256 = JdbcAuditSink.sha256();
        String prev = JdbcAuditSink.GENESIS;
        long expected = 1;
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT org_seq, prev, hash, " + JdbcAuditQueries.COLUMNS
                    + " FROM audit_event WHERE chain_key = ? ORDER BY org_seq")) {
                ps.setString(1, key);
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long orgSeq = rs.getLong(1);
                        if (orgSeq != expected || !prev.equals(rs.getString(2))) {
                            return expected;
                        }
                        AuditEvent e = JdbcAuditQueries.eventAt(rs, 3);
                        String stored = rs.getString(3);
                        String details = rs.getString(17);
                        if (!stored.equals(JdbcAuditSink.hash(sha256, prev, key, orgSeq, e, details))) {
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
            throw JdbcAuditSink.unavailable(where, "verify failed", e);
        }
        return -1;
    }

    /**
     * Every chain in the database (from the rows and from the heads, so a chain whose rows were all
     * deleted is still checked), named by organization id ({@code ""} for events without one), in name
     * order.
     */
    List<ChainVerification> verifyTrail() {
        ensureOpen.run();
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
            throw JdbcAuditSink.unavailable(where, "verify failed", e);
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
}
