package dev.animavault.plugin.audit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.testkit.AuditTestEvents;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The per-organization hash chain: tampering in the database is found; two nodes on PostgreSQL keep one chain. */
@Timeout(120)
class JdbcAuditChainTest {
    @TempDir
    Path dataDirectory;
    private final AuditTestEvents events = new AuditTestEvents();

    private JdbcAuditSink open(Map<String, String> config) {
        JdbcAuditSinkFactory factory = new JdbcAuditSinkFactory();
        return (JdbcAuditSink) factory.create(ProviderConfig.validate(factory, config, "test"),
                TestPluginContext.denyingEgress(dataDirectory));
    }

    private void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDirectory.resolve("audit.db"));
             Statement st = c.createStatement()) {
            st.executeUpdate(statement);
        }
    }

    @Test
    void editsDeletionsAndACutTailAreFoundPerOrganization() throws Exception {
        try (JdbcAuditSink sink = open(Map.of())) {
            for (int batch = 0; batch < 4; batch++) {
                List<AuditEvent> b = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    b.add(events.event(i % 2 == 0 ? "org_a" : "org_b", "agent_" + i, "secret.read",
                            AuditTestEvents.at(batch * 10L + i)));
                }
                sink.write(b);
            }
            sink.write(List.of(events.sparseEvent(null, AuditTestEvents.at(100))));
            assertEquals(-1, sink.verify("org_a"));
            assertEquals(-1, sink.verify("org_b"));
            if (java.nio.file.Files.getFileStore(dataDirectory).supportsFileAttributeView("posix")) {
                assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                        java.nio.file.Files.getPosixFilePermissions(dataDirectory.resolve("audit.db"))));
            }
            assertEquals(-1, sink.verify(null));

            // org_a has 12 rows, org_b 8
            sql("UPDATE audit_event SET actor = 'apikey:someone_else' WHERE chain_key = 'org_a' AND org_seq = 5");
            assertEquals(5, sink.verify("org_a"));
            assertEquals(-1, sink.verify("org_b"), "another organization's chain is unaffected");

            sql("DELETE FROM audit_event WHERE chain_key = 'org_b' AND org_seq = 3");
            assertEquals(3, sink.verify("org_b"));
        }
        try (JdbcAuditSink sink = open(Map.of())) {
            sql("DELETE FROM audit_event WHERE chain_key = '' AND org_seq = 1");
            assertEquals(1, sink.verify(null), "the only row removed: the head still names it");
        }
    }

    @Test
    void twoNodesOnPostgresqlExtendOneChainAndSeeEachOthersEvents() throws Exception {
        PostgresSchema schema = PostgresSchema.create();
        try (JdbcAuditSink node1 = open(schema.config()); JdbcAuditSink node2 = open(schema.config())) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    JdbcAuditSink sink = t % 2 == 0 ? node1 : node2;
                    int thread = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 25; i++) {
                            sink.write(List.of(events.event("org_a", "agent_" + thread, "secret.read",
                                    AuditTestEvents.at(i)), events.event("org_b", "agent_" + thread, "secret.read",
                                    AuditTestEvents.at(i))));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            assertEquals(-1, node1.verify("org_a"));
            assertEquals(-1, node2.verify("org_b"));
            Set<String> ids = new HashSet<>();
            Optional<String> cursor = Optional.empty();
            do {
                var page = node2.query(new AuditQuery("org_a", Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.empty(), new PageRequest(30, cursor)));
                page.items().forEach(e -> ids.add(e.id()));
                cursor = page.nextCursor();
            } while (cursor.isPresent());
            assertEquals(100, ids.size(), "node 2 sees both nodes' events");
        } finally {
            schema.drop();
        }
    }
}
