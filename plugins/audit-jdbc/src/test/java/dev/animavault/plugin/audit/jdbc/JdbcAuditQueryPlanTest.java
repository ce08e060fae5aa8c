package dev.animavault.plugin.audit.jdbc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQLite keeps no statistics, so for identity + secretKey its planner could pick the secret-key index,
 * which walks every identity's events of a commonly named key (50-160 ms at 10^6 events, measured in
 * bench/README.md). The query names the identity index; this test reads SQLite's own plan for it.
 */
class JdbcAuditQueryPlanTest {
    @TempDir
    Path dataDirectory;

    @Test
    void identityQueriesUseTheIdentityIndexWhateverElseTheyFilter() throws Exception {
        JdbcAuditSinkFactory factory = new JdbcAuditSinkFactory();
        try (JdbcAuditSink sink = (JdbcAuditSink) factory.create(ProviderConfig.validate(factory, Map.of(),
                "the test configuration"), TestPluginContext.denyingEgress(dataDirectory))) {
            List<AuditQuery> queries = List.of(
                    query(Optional.of("agent_1"), Optional.of("OPENAI_API_KEY"), Optional.empty()),
                    query(Optional.of("agent_1"), Optional.of("OPENAI_API_KEY"), Optional.of(AuditOutcome.DENIED)),
                    query(Optional.of("agent_1"), Optional.empty(), Optional.of(AuditOutcome.DENIED)));
            String url = "jdbc:sqlite:" + dataDirectory.resolve(JdbcAuditSinkFactory.DEFAULT_SQLITE_FILE);
            try (Connection c = DriverManager.getConnection(url)) {
                for (AuditQuery q : queries) {
                    List<Object> args = new ArrayList<>();
                    String plan = plan(c, sink.selectSql(q, args), args);
                    assertTrue(plan.contains("audit_event_identity"), q + " -> " + plan);
                }
            }
        }
    }

    private static AuditQuery query(Optional<String> identity, Optional<String> key, Optional<AuditOutcome> outcome) {
        return new AuditQuery("org_a", identity, Optional.empty(), Optional.empty(), Optional.empty(),
                PageRequest.first(100), key, Optional.empty(), outcome);
    }

    private static String plan(Connection c, String sql, List<Object> args) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            StringBuilder out = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.append(rs.getString(4)).append('\n');
                }
            }
            return out.toString();
        }
    }
}
