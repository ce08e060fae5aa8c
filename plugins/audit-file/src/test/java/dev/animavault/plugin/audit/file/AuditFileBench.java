package dev.animavault.plugin.audit.file;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The audit-file benchmark of bench/audit-file-bench.sh (issue 19), one phase per JVM so each phase's peak
 * RSS is its own: {@code gen <dir> <events>} writes events straight through the sink (batches of 100);
 * {@code open <dir>} opens the trail and prints the open time and the JVM's peak RSS; {@code query <dir>}
 * opens it and times queries for 100 events of one identity. Numbers are printed, never asserted.
 */
public final class AuditFileBench {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private AuditFileBench() {
    }

    private static FileAuditSink open(Path dir) {
        // -Daudit.loaded=N: loaded-sealed-indexes (default 8), to measure queries that reach dropped segments
        return FileAuditSink.open(new FileAuditSinkConfig(dir.resolve("audit.jsonl"), false, true, Duration.ofSeconds(1),
                0, Duration.ofSeconds(1), FileAuditSinkConfig.DEFAULT_ROLLOVER_BYTES, false,
                Integer.getInteger("audit.loaded", FileAuditSinkConfig.DEFAULT_LOADED_SEALED_INDEXES)));
    }

    private static AuditEvent event(long i) {
        Instant ts = T0.plusMillis(i * 10);
        String identity = "agent_" + (i % 1000);
        return new AuditEvent(String.format("ev_%013d_%08d", ts.toEpochMilli(), i), ts, i % 8 == 0 ? "secret.create"
                : "secret.read", AuditOutcome.SUCCESS, "org_" + (i % 10), identity, "KEY_" + (i % 100), 1,
                "identity:" + identity, "req-" + i, "192.0.2.10", null, Map.of("route", "/v1/vault/secrets"));
    }

    private static String peakRss() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) {
                return l.substring(6).trim();
            }
        }
        return "?";
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "gen" -> {
                long n = Long.parseLong(args[2]);
                long t = System.nanoTime();
                try (FileAuditSink sink = open(dir)) {
                    List<AuditEvent> batch = new ArrayList<>(100);
                    for (long i = 0; i < n; i++) {
                        batch.add(event(i));
                        if (batch.size() == 100) {
                            sink.write(batch);
                            batch.clear();
                        }
                    }
                    if (!batch.isEmpty()) {
                        sink.write(batch);
                    }
                }
                System.out.printf("gen: %d events in %.1f s%n", n, (System.nanoTime() - t) / 1e9);
            }
            case "open" -> {
                long t = System.nanoTime();
                FileAuditSink sink = open(dir);
                double ms = (System.nanoTime() - t) / 1e6;
                // CPU time of the whole JVM so far (JIT and class loading included): steadier than wall time
                // on a loaded machine
                double cpu = ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e6).orElse(-1.0);
                String rssOpen = peakRss();
                int size = sink.size(); // waits for the open segment's index when it is built in the background
                double ready = (System.nanoTime() - t) / 1e6;
                var page = sink.query(new AuditQuery("org_3", Optional.of("agent_3"), Optional.empty(),
                        Optional.empty(), Optional.empty(), PageRequest.first(100)));
                double firstQuery = (System.nanoTime() - t) / 1e6;
                System.out.printf("open: %d events, %.1f ms (JVM CPU %.0f ms), peak RSS %s; index complete at %.1f ms,"
                        + " first query (%d events) answered at %.1f ms; peak RSS %s%n", size, ms, cpu, rssOpen, ready,
                        page.items().size(), firstQuery, peakRss());
                sink.close();
            }
            case "query" -> {
                try (FileAuditSink sink = open(dir)) {
                    int rounds = 200;
                    double[] ms = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        String identity = "agent_" + (r * 37 % 1000);
                        long t = System.nanoTime();
                        var page = sink.query(new AuditQuery("org_" + (r * 37 % 10), Optional.of(identity),
                                Optional.empty(), Optional.empty(), Optional.empty(), PageRequest.first(100)));
                        ms[r] = (System.nanoTime() - t) / 1e6;
                        if (page.items().size() != 100) {
                            throw new IllegalStateException("expected 100 events, got " + page.items().size());
                        }
                    }
                    double[] warm = Arrays.copyOfRange(ms, 20, rounds);
                    Arrays.sort(warm);
                    System.out.printf("query (100 events of one identity, %d events): first %.2f ms, p50 %.2f ms, "
                            + "p99 %.2f ms; peak RSS %s%n", sink.size(), ms[0], warm[warm.length / 2],
                            warm[(int) (warm.length * 0.99)], peakRss());
                    // a value no event holds: every sealed segment reached, beyond those that stay loaded (each
                    // dropped one mapped again and its dictionaries decoded), CPU time of this thread
                    var bean = java.lang.management.ManagementFactory.getThreadMXBean();
                    int misses = 50;
                    long cpu = bean.getCurrentThreadCpuTime();
                    for (int r = 0; r < misses; r++) {
                        sink.query(new AuditQuery("org_1", Optional.of("nobody_" + r), Optional.empty(),
                                Optional.empty(), Optional.empty(), PageRequest.first(100)));
                    }
                    System.out.printf("query for an absent identity (every segment, %d sealed indexes kept loaded): "
                            + "%.2f ms CPU each; sealed indexes loaded after: %d%n",
                            sink.config().loadedSealedIndexes(),
                            (bean.getCurrentThreadCpuTime() - cpu) / 1e6 / misses, FileAuditSinkTestAccess.loadedSealedIndexes(sink));
                }
            }
            default -> throw new IllegalArgumentException("gen|open|query");
        }
    }
}
