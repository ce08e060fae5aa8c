package dev.animavault.core.report;

import dev.animavault.core.TestVault;
import dev.animavault.core.VaultNode;
import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.audit.SensitiveFields;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Audit query and report latency at 10^6 events for one queryable sink (issue 15's closing note). Starts a
 * real vault in-process with the sink, creates 200 identities (3 secrets and a token each) in its organization,
 * then writes N events (default 10^6) <em>straight through the sink</em> in batches of 1,000 (the sink the
 * vault opened, reached by reflection; sensitive fields hashed by the vault's own {@link SensitiveFields} as on
 * the request path): secret reads over 20 days by 1,000 identities of 5 organizations (the vault's own and 4
 * others), 2% of them denied. Then, over HTTP: the audit query's first page of 100 for one identity, alone and
 * with the {@code secretKey}/{@code outcome} filters (p50/p99 over 50 queries, each for another identity), the
 * JSON report for one identity and for the whole organization (the real {@link ReportGenerator} over the sink),
 * with the JVM's peak heap and peak RSS during the organization report; last, secret reads over HTTP for a few
 * seconds by 8 clients (each read records its event in the sink holding 10^6 events).
 *
 * <p>Not a test: run it by hand ({@code bench/audit-scale-bench.sh}), numbers are printed, never asserted:
 * {@code java -Xmx192m -Danima.test.plugins=core/target/test-plugins -cp <core test classpath>
 * dev.animavault.core.report.AuditScaleMeasurement [n] [file|jdbc-sqlite|jdbc-pg] [read seconds]}.
 * jdbc-pg: the PostgreSQL named by ANIMA_TEST_PG_URL/_USER/_PASSWORD, a fresh schema dropped at the end.
 */
public final class AuditScaleMeasurement {
    private static final int ORGS = 5;
    private static final int IDENTITIES = 200; // per organization
    private static final int KEYS = 3;
    private static final int BATCH = 1000;

    private AuditScaleMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        String sinkType = args.length > 1 ? args[1] : "file";
        int readSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        Path root = Files.createTempDirectory("audit-scale");
        MeasuredSink measured = MeasuredSink.of(sinkType, "i15_scale");
        List<ProviderSpec> audit = measured.audit();
        String owner = TestVault.OWNER_TOKEN;
        System.out.printf("sink %s, %d events, -Xmx %d MB, %s%n", sinkType, n,
                Runtime.getRuntime().maxMemory() >> 20, load());
        try (TestVault vault = TestVault.start(root, b -> b.audit(audit))) {
            long setup = System.nanoTime();
            List<String> tokens = new ArrayList<>();
            List<String> tokenIds = new ArrayList<>();
            for (int i = 0; i < IDENTITIES; i++) {
                vault.post("/v1/identities", owner, "{\"id\":\"agent_" + i + "\"}");
                for (int k = 0; k < KEYS; k++) {
                    vault.post("/v1/vault/secrets", owner, TestVault.json(Map.of("identityId", "agent_" + i,
                            "key", "KEY_" + k, "value", "value-" + i + "-" + k, "type", "api_key")));
                }
                var t = vault.post("/v1/identities/agent_" + i + "/tokens", owner, "{}").json();
                tokens.add(t.get("token").asText());
                tokenIds.add(t.path("id").asText("tok" + i));
            }
            System.out.printf("setup (%d identities, %d secrets, %d tokens over HTTP): %.1f s%n", IDENTITIES,
                    IDENTITIES * KEYS, IDENTITIES, (System.nanoTime() - setup) / 1e9);

            AuditBroker broker = broker(vault.node());
            AuditSink sink = sinks(broker).stream().filter(QueryableAuditSink.class::isInstance).findFirst()
                    .orElseThrow();
            Instant end = Instant.now().minusSeconds(60);
            Instant start = end.minus(Duration.ofDays(20));
            write(broker, sink, n, start, end, tokenIds);
            System.out.printf("after writing: heap used %d MB, RSS %d MB (anonymous %d MB, files %d MB), peak RSS %d MB;"
                    + " %s%n", heapUsed() >> 20, status("VmRSS") >> 10, status("RssAnon") >> 10, status("RssFile") >> 10,
                    status("VmHWM") >> 10, load());

            String range = "&from=" + start.minusSeconds(3600) + "&to=" + Instant.now().plusSeconds(3600);
            SplittableRandom rnd = new SplittableRandom(7);
            query(vault, owner, "query identity", () -> "identityId=agent_" + rnd.nextInt(IDENTITIES));
            query(vault, owner, "query identity + secretKey", () -> "identityId=agent_" + rnd.nextInt(IDENTITIES)
                    + "&secretKey=KEY_" + rnd.nextInt(KEYS));
            query(vault, owner, "query identity + outcome=DENIED", () -> "identityId=agent_"
                    + rnd.nextInt(IDENTITIES) + "&outcome=DENIED");
            query(vault, owner, "query identity + secretKey + DENIED", () -> "identityId=agent_"
                    + rnd.nextInt(IDENTITIES) + "&secretKey=KEY_" + rnd.nextInt(KEYS) + "&outcome=DENIED");
            query(vault, owner, "query organization + secretKey + DENIED", () -> "secretKey=KEY_"
                    + rnd.nextInt(KEYS) + "&outcome=DENIED");
            report(vault, owner, "report JSON, one identity", 5, () -> "identityId=agent_" + rnd.nextInt(IDENTITIES)
                    + range);
            report(vault, owner, "report JSON, organization", 3, () -> range.substring(1));
            if (readSeconds > 0) {
                reads(vault, tokens, readSeconds);
            }
            System.out.printf("end: peak RSS of the run %d MB; %s%n", status("VmHWM") >> 10, load());
        } finally {
            measured.close();
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** N secret reads over 20 days, 5 organizations x 200 identities x 3 keys, 2% denied. */
    private static void write(AuditBroker broker, AuditSink sink, int n, Instant start, Instant end,
                              List<String> tokenIds) {
        SensitiveFields hash = broker.sensitiveFields();
        SplittableRandom rnd = new SplittableRandom(42);
        long stepNanos = Duration.between(start, end).toNanos() / n;
        long t0 = System.nanoTime();
        long lastReport = t0;
        List<AuditEvent> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < n; i++) {
            Instant ts = start.plusNanos(stepNanos * i);
            int org = rnd.nextInt(ORGS);
            String orgId = org == 0 ? "default" : "org_" + org;
            int caller = rnd.nextInt(IDENTITIES);
            boolean denied = rnd.nextInt(50) == 0;
            // a denial: the caller asked for another identity's secret
            int target = denied ? (caller + 1 + rnd.nextInt(IDENTITIES - 1)) % IDENTITIES : caller;
            String tokenId = org == 0 ? tokenIds.get(caller) : "tok" + org + "_" + caller;
            AuditEvent e = new AuditEvent(broker.newEventId(ts.toEpochMilli()), ts, "secret.read",
                    denied ? AuditOutcome.DENIED : AuditOutcome.SUCCESS, orgId, "agent_" + target,
                    "KEY_" + rnd.nextInt(KEYS), denied ? null : 1, "identity:agent_" + caller + "/" + tokenId,
                    "req" + Long.toHexString(rnd.nextLong()), "127.0.0." + (1 + caller % 250),
                    denied ? "permission_denied" : null, Map.of());
            batch.add(hash == null ? e : hash.apply(e));
            if (batch.size() == BATCH || i == n - 1) {
                sink.write(batch);
                batch.clear();
            }
            if ((i + 1) % 100_000 == 0) {
                long now = System.nanoTime();
                System.out.printf("  %,d events written, last 100k at %.0f events/s; %s%n", i + 1,
                        100_000 / ((now - lastReport) / 1e9), load());
                lastReport = now;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("wrote %,d events straight through the sink in %.1f s (%.0f events/s)%n", n, secs, n / secs);
    }

    private static void query(TestVault vault, String token, String what, java.util.function.Supplier<String> params) {
        for (int i = 0; i < 3; i++) { // warm-up
            vault.get("/v1/vault/audit/logs?limit=100&" + params.get(), token);
        }
        long[] t = new long[50];
        long items = 0;
        for (int i = 0; i < t.length; i++) {
            String path = "/v1/vault/audit/logs?limit=100&" + params.get();
            long s = System.nanoTime();
            TestVault.Response r = vault.get(path, token);
            t[i] = System.nanoTime() - s;
            if (r.status() != 200) {
                throw new IllegalStateException(what + ": " + r.status() + " " + r.body());
            }
            items += r.json().path("items").size();
        }
        Arrays.sort(t);
        System.out.printf("%-42s p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (%.0f items/page avg)  %s%n", what,
                t[24] / 1e6, t[48] / 1e6, t[49] / 1e6, items / 50.0, load());
    }

    private static void report(TestVault vault, String token, String what, int runs,
                               java.util.function.Supplier<String> params) throws Exception {
        long[] t = new long[runs];
        long peakHeap = 0;
        long peakRss = 0;
        long peakAnon = 0;
        long peakOld = 0;
        boolean rssReset = false;
        String scanned = "?";
        for (int i = 0; i < runs; i++) {
            String path = "/v1/vault/audit/reports?format=json&" + params.get();
            System.gc();
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            rssReset = resetPeakRss();
            MemorySampler sampler = new MemorySampler();
            long s = System.nanoTime();
            TestVault.Response r;
            try {
                r = vault.get(path, token);
            } finally {
                t[i] = System.nanoTime() - s;
                sampler.stop();
            }
            if (r.status() != 200) {
                throw new IllegalStateException(what + ": " + r.status() + " " + r.body());
            }
            var sc = r.json().findValue("eventsScanned");
            scanned = (sc == null ? "?" : sc.asText()) + " events scanned, " + (r.body().length() >> 10) + " KB";
            long heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == MemoryType.HEAP).mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            peakHeap = Math.max(peakHeap, Math.max(heap, sampler.heap.get()));
            // the old generation: what survived young collections during the report (garbage excluded until
            // a full collection, but not the young generation's short-lived pages of events)
            peakOld = Math.max(peakOld, ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == MemoryType.HEAP && p.getName().contains("Tenured")
                            || p.getName().contains("Old Gen"))
                    .mapToLong(p -> p.getPeakUsage().getUsed()).sum());
            peakRss = Math.max(peakRss, rssReset ? status("VmHWM") << 10 : sampler.rss.get());
            peakAnon = Math.max(peakAnon, sampler.rssAnon.get());
        }
        Arrays.sort(t);
        System.out.printf("%-42s median %8.1f ms  max %8.1f ms  (%s)  peak heap %d MB (old generation %d MB),"
                        + " peak RSS %d MB (%s; anonymous part, sampled: %d MB)  %s%n", what, t[runs / 2] / 1e6,
                t[runs - 1] / 1e6, scanned, peakHeap >> 20, peakOld >> 20, peakRss >> 20, rssReset ? "VmHWM reset before" : "sampled every 5 ms", peakAnon >> 20, load());
    }

    /** Secret reads over HTTP by 8 clients for {@code seconds}: each one records its event in the sink. */
    private static void reads(TestVault vault, List<String> tokens, int seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        String before = load();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int client = c;
                fs.add(pool.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        HttpRequest r = HttpRequest.newBuilder(vault.uri("/v1/vault/secrets/agent_" + client + "/KEY_"
                                + (i % KEYS))).header("Authorization", "Bearer " + tokens.get(client)).build();
                        if (http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                            throw new IllegalStateException("read failed");
                        }
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            Thread.sleep(seconds * 1000L);
            stop.set(true);
            for (Future<?> f : fs) {
                f.get();
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("secret reads over HTTP, 8 clients in-process, %d s: %,d reads, %.0f reads/s  (before: %s,"
                + " after: %s)%n", seconds, done.get(), done.get() / secs, before, load());
    }

    /** Samples heap used and RSS every 5 ms until stopped (peak RSS when VmHWM cannot be reset). */
    private static final class MemorySampler {
        final AtomicLong heap = new AtomicLong();
        final AtomicLong rss = new AtomicLong();
        final AtomicLong rssAnon = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                heap.accumulateAndGet(heapUsed(), Math::max);
                rss.accumulateAndGet(status("VmRSS") << 10, Math::max);
                rssAnon.accumulateAndGet(status("RssAnon") << 10, Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Resets the process's VmHWM (Linux: "5" to /proc/self/clear_refs); false where not allowed. */
    private static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** A /proc/self/status field in kB. */
    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    private static String load() {
        try {
            String[] l = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return "load " + l[0] + " " + l[1] + " " + l[2];
        } catch (Exception e) {
            return "load ?";
        }
    }

    private static AuditBroker broker(VaultNode node) throws ReflectiveOperationException {
        var f = VaultNode.class.getDeclaredField("audit");
        f.setAccessible(true);
        return (AuditBroker) f.get(node);
    }

    @SuppressWarnings("unchecked")
    private static List<AuditSink> sinks(AuditBroker broker) throws ReflectiveOperationException {
        var f = AuditBroker.class.getDeclaredField("sinks");
        f.setAccessible(true);
        return (List<AuditSink>) f.get(broker);
    }
}
