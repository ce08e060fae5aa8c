package dev.animavault.plugin.audit.jdbc;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Measures the jdbc sink on SQLite: writing N events (default 10^6) in batches of 500, then query
 * latency (first page of 100, median of 21 runs) for several filters. Not a test: run it by hand, numbers
 * are printed, never asserted: {@code java -cp <test classpath> dev.animavault.plugin.audit.jdbc.JdbcAuditSinkMeasurement [n] [pg]}.
 * With {@code pg}, the sink writes to a fresh schema on the PostgreSQL server named by
 * {@code ANIMA_TEST_PG_URL}/{@code _USER}/{@code _PASSWORD} (dropped at the end) instead of SQLite.
 */
public final class JdbcAuditSinkMeasurement {
    private JdbcAuditSinkMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        boolean pg = args.length > 1 && args[1].equals("pg");
        PostgresSchema schema = pg ? PostgresSchema.create() : null;
        Path dir = Files.createTempDirectory("audit-jdbc-measure");
        JdbcAuditSinkFactory factory = new JdbcAuditSinkFactory();
        try (JdbcAuditSink sink = (JdbcAuditSink) factory.create(ProviderConfig.validate(factory,
                pg ? schema.config() : Map.of(), "m"), TestPluginContext.denyingEgress(dir))) {
            Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
            long start = System.nanoTime();
            List<AuditEvent> batch = new ArrayList<>(500);
            for (int i = 0; i < n; i++) {
                String org = "org_" + (i % 10);
                String identity = "agent_" + (i % 1000);
                AuditOutcome outcome = i % 50 == 0 ? AuditOutcome.DENIED : AuditOutcome.SUCCESS;
                batch.add(new AuditEvent(String.format("ev%012d", i), t0.plusMillis(i * 10L), "secret.read", outcome,
                        org, identity, "KEY_" + (i % 7), 1, "identity:" + identity + "/tok" + (i % 3000),
                        "req" + i, "10.0.0." + (i % 200), outcome == AuditOutcome.DENIED ? "permission_denied" : null,
                        Map.of()));
                if (batch.size() == 500) {
                    sink.write(batch);
                    batch.clear();
                }
            }
            if (!batch.isEmpty()) {
                sink.write(batch);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("wrote %d events in %.1f s (%.0f events/s) to %s%n", n, secs, n / secs,
                    pg ? "PostgreSQL schema " + schema.schema() : "SQLite, " + (Files.size(dir.resolve("audit.db")) >> 20)
                            + " MB");
            PageRequest page = PageRequest.first(100);
            measure(sink, "org only", new AuditQuery("org_3", Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), page));
            measure(sink, "org + identity", new AuditQuery("org_3", Optional.of("agent_13"), Optional.empty(),
                    Optional.empty(), Optional.empty(), page));
            measure(sink, "org + secretKey + outcome DENIED", new AuditQuery("org_3", Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), page, Optional.of("KEY_3"), Optional.empty(),
                    Optional.of(AuditOutcome.DENIED)));
            measure(sink, "org + actor", new AuditQuery("org_3", Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), page, Optional.empty(), Optional.of("identity:agent_13/tok13"), Optional.empty()));
            measure(sink, "org + 1 h window", new AuditQuery("org_3", Optional.empty(), Optional.empty(),
                    Optional.of(t0.plusSeconds(3600)), Optional.of(t0.plusSeconds(7200)), page));
            long vs = System.nanoTime();
            long v = sink.verify("org_3");
            System.out.printf("verify org_3 (%d rows): %s in %.1f s%n", n / 10, v < 0 ? "ok" : "broken at " + v,
                    (System.nanoTime() - vs) / 1e9);
        } finally {
            if (schema != null) {
                schema.drop();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void measure(JdbcAuditSink sink, String what, AuditQuery q) {
        long[] t = new long[21];
        int items = 0;
        for (int i = 0; i < t.length; i++) {
            long s = System.nanoTime();
            items = sink.query(q).items().size();
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        System.out.printf("query %-34s %3d items  median %.2f ms  max %.2f ms%n", what, items, t[10] / 1e6, t[20] / 1e6);
    }
}
