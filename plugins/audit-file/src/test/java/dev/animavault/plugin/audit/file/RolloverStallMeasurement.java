package dev.animavault.plugin.audit.file;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Times every {@code write} of 4 {@code secret.create}-like events (~870 bytes each, a distinct secret key each, as
 * the vault's) with the default 64 MiB rollover, paced at a given rate, and prints the slow ones (the rollovers) with
 * the event count they came at (docs/performance.md, fourteenth pass: the audit rollover off the lock). Not a test:
 * run it by hand against any build of the plugin's classes, e.g. {@code java -cp
 * target/test-classes:target/classes:<spi and jackson-core jars> dev.animavault.plugin.audit.file.RolloverStallMeasurement
 * /tmp 4 20000} (directory, rollovers, events per second).
 */
public final class RolloverStallMeasurement {
    private RolloverStallMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory(Path.of(args[0]), "r14h");
        int rollovers = Integer.parseInt(args[1]);
        long rate = Long.parseLong(args[2]); // events per second
        String pad = "x".repeat(450);
        long start = System.nanoTime();
        FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(dir.resolve("audit.jsonl"), false, true,
                FileAuditSinkConfig.DEFAULT_FLUSH_INTERVAL, 0, FileAuditSinkConfig.DEFAULT_CHECKPOINT_INTERVAL,
                FileAuditSinkConfig.DEFAULT_ROLLOVER_BYTES, false));
        Instant t0 = Instant.now();
        long i = 0;
        List<long[]> slow = new ArrayList<>();
        long[] all = new long[2_000_000];
        int n = 0;
        int seen = 0;
        while (seen < rollovers) {
            List<AuditEvent> batch = new ArrayList<>(4);
            for (int k = 0; k < 4; k++, i++) {
                String id = "agent_" + (i % 32);
                batch.add(new AuditEvent(String.format("ev_%013d_%08d", i, i), t0.plusNanos(i * 1000), "secret.create",
                        AuditOutcome.SUCCESS, "org_bench", id, "bench/key-" + i, 1, "identity:" + id, "req-" + i,
                        "127.0.0.1", null, Map.of("route", "/v1/vault/secrets", "pad", pad)));
            }
            long due = start + i * 1_000_000_000L / rate;
            long now0 = System.nanoTime();
            if (due > now0) {
                java.util.concurrent.locks.LockSupport.parkNanos(due - now0);
            }
            long s = System.nanoTime();
            sink.write(batch);
            long d = System.nanoTime() - s;
            all[n++] = d;
            if (d > 5_000_000) {
                slow.add(new long[] {i, d});
            }
            if (n % 1000 == 0) {
                try (var files = Files.list(dir)) {
                    seen = (int) files.filter(p -> p.getFileName().toString().matches("audit\\.\\d+\\.jsonl")).count();
                }
            }
        }
        long cs = System.nanoTime();
        sink.close();
        long closeNs = System.nanoTime() - cs;
        long[] sorted = Arrays.copyOf(all, n);
        Arrays.sort(sorted);
        StringBuilder sb = new StringBuilder();
        for (long[] s : slow) {
            sb.append(String.format(" %.1f@%d", s[1] / 1e6, s[0]));
        }
        System.out.printf("batches=%d rollovers=%d slow(>5ms ms@event):%s%n p50=%.3fms p99.99=%.2fms max=%.1fms close=%.1fms%n",
                n, seen, sb, sorted[n / 2] / 1e6, sorted[(int) (n * 0.9999)] / 1e6, sorted[n - 1] / 1e6, closeNs / 1e6);
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
