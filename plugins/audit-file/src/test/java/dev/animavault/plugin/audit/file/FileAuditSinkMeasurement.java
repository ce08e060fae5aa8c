package dev.animavault.plugin.audit.file;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Measures write throughput per batch size and query latency over 100k events. Not a test: run it by
 * hand (numbers are reported, never asserted), e.g.
 * {@code java -cp target/test-classes:target/classes:<deps> dev.animavault.plugin.audit.file.FileAuditSinkMeasurement [dir]}.
 */
public final class FileAuditSinkMeasurement {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final String[] ACTIONS = {"secret.read", "secret.read", "secret.read", "secret.read",
            "secret.create", "secret.update", "token.issue", "auth.denied"};

    private FileAuditSinkMeasurement() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory(args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir")),
                "audit-measure");
        try {
            measureWrites(dir);
            measureQueries(dir);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static AuditEvent event(long i) {
        Instant ts = T0.plusMillis(i * 10);
        String org = "org_" + (i % 10);
        String identity = "agent_" + (i % 1000);
        return new AuditEvent(String.format("ev_%013d_%08d", ts.toEpochMilli(), i), ts, ACTIONS[(int) (i % ACTIONS.length)],
                AuditOutcome.SUCCESS, org, identity, "OPENAI_API_KEY", 1, "identity:" + identity, "req-" + i,
                "192.0.2.10", null, Map.of("route", "/v1/vault/secrets"));
    }

    private static void measureWrites(Path dir) {
        System.out.println("== write throughput (events/s; one write call per batch)");
        for (boolean fsync : new boolean[] {false, true}) {
            for (int batch : new int[] {1, 10, 100, 1000}) {
                int total = fsync ? Math.min(20_000, batch * 400) : 50_000;
                Path file = dir.resolve("w-" + fsync + "-" + batch + ".jsonl");
                try (FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(file, fsync, true))) {
                    List<AuditEvent> warm = new ArrayList<>();
                    for (int i = 0; i < batch; i++) {
                        warm.add(event(i));
                    }
                    for (int i = 0; i < 200; i++) {
                        sink.write(warm);
                    }
                    // Events are built before timing: only encoding, hashing, the write and indexing count.
                    List<List<AuditEvent>> batches = new ArrayList<>();
                    for (long i = 0; i < total; i += batch) {
                        List<AuditEvent> b = new ArrayList<>(batch);
                        for (int k = 0; k < batch; k++) {
                            b.add(event(i + k));
                        }
                        batches.add(b);
                    }
                    long start = System.nanoTime();
                    for (List<AuditEvent> b : batches) {
                        sink.write(b);
                    }
                    double secs = (System.nanoTime() - start) / 1e9;
                    System.out.printf("fsync=%-5s batch=%4d  %9.0f events/s  %8.1f us/batch  (%d events)%n", fsync, batch,
                            total / secs, secs * 1e6 / (total / (double) batch), total);
                }
            }
        }
    }

    private static void measureQueries(Path dir) throws IOException {
        int n = 100_000;
        Path file = dir.resolve("q.jsonl");
        try (FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
            for (int i = 0; i < n; i += 500) {
                List<AuditEvent> b = new ArrayList<>(500);
                for (int k = 0; k < 500; k++) {
                    b.add(event(i + k));
                }
                sink.write(b);
            }
        }
        System.out.printf("== %d events, file %.1f MB%n", n, Files.size(file) / 1e6);
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            try (FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
                System.out.printf("open (scan, verify chain, build index): %.0f ms%n", (System.nanoTime() - start) / 1e6);
            }
        }
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            long broken = AuditHashChain.verify(file);
            System.out.printf("AuditHashChain.verify: %.0f ms (result %d)%n", (System.nanoTime() - start) / 1e6, broken);
        }
        try (FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
            Instant mid = T0.plusMillis(n * 5L);
            time("org only, limit 100 (10% of events match)", () -> sink.query(q("org_3", null, null, null, null, 100)));
            time("org only, limit 1000", () -> sink.query(q("org_3", null, null, null, null, 1000)));
            time("org + identity, limit 100 (0.1% match, 100 events)", () -> sink.query(q("org_3", "agent_13", null, null, null, 100)));
            time("org + identity + action (2 of 100k match, full scan)", () -> sink.query(q("org_3", "agent_13", "token.issue", null, null, 100)));
            time("org + 1-minute time window in the middle", () -> sink.query(q("org_3", null, null, mid, mid.plusSeconds(60), 100)));
            time("unknown identity (no match, no scan)", () -> sink.query(q("org_3", "nobody", null, null, null, 100)));
            time("walk all 100 pages of org_3 (10k events), limit 100", () -> {
                Optional<String> cursor = Optional.empty();
                int pages = 0;
                do {
                    Page<AuditEvent> p = sink.query(new AuditQuery("org_3", Optional.empty(), Optional.empty(),
                            Optional.empty(), Optional.empty(), new PageRequest(100, cursor)));
                    cursor = p.nextCursor();
                    pages++;
                } while (cursor.isPresent());
                return pages;
            });
        }
    }

    private static AuditQuery q(String org, String identity, String action, Instant from, Instant to, int limit) {
        return new AuditQuery(org, Optional.ofNullable(identity), Optional.ofNullable(action), Optional.ofNullable(from),
                Optional.ofNullable(to), PageRequest.first(limit));
    }

    private static void time(String what, Supplier<?> query) {
        for (int i = 0; i < 50; i++) {
            query.get();
        }
        int runs = 200;
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            query.get();
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        System.out.printf("%-55s median %8.3f ms   p99 %8.3f ms%n", what, nanos[runs / 2] / 1e6, nanos[runs * 99 / 100] / 1e6);
    }
}
