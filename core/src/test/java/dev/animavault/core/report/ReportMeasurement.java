package dev.animavault.core.report;

import dev.animavault.core.TestVault;
import dev.animavault.core.config.ProviderSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures compliance report generation over a real vault's trail: N secret reads (default 10^5) over HTTP
 * by 8 clients (20 identities x 5 secrets, every 50th read denied), then the report for the whole
 * organization in each format (median and max of 5) and the audit query's first page. Not a test: run it by
 * hand, numbers are printed, never asserted:
 * {@code java -Danima.test.plugins=core/target/test-plugins -cp <core test classpath>
 * dev.animavault.core.report.ReportMeasurement [n] [file|jdbc-sqlite|jdbc-pg]} (jdbc-pg: the PostgreSQL
 * named by ANIMA_TEST_PG_URL/_USER/_PASSWORD, a fresh schema dropped at the end).
 */
public final class ReportMeasurement {
    private ReportMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        String sink = args.length > 1 ? args[1] : "file";
        Path root = Files.createTempDirectory("report-measure");
        MeasuredSink measured = MeasuredSink.of(sink, "i15_report");
        List<ProviderSpec> audit = measured.audit();
        String owner = TestVault.OWNER_TOKEN;
        try (TestVault vault = TestVault.start(root, b -> b.audit(audit))) {
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                vault.post("/v1/identities", owner, "{\"id\":\"agent_" + i + "\"}");
                for (int k = 0; k < 5; k++) {
                    vault.post("/v1/vault/secrets", owner, TestVault.json(Map.of("identityId", "agent_" + i,
                            "key", "KEY_" + k, "value", "value-" + i + "-" + k, "type", "api_key")));
                }
                tokens.add(vault.post("/v1/identities/agent_" + i + "/tokens", owner, "{}").json().get("token").asText());
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            AtomicInteger next = new AtomicInteger();
            long start = System.nanoTime();
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    fs.add(pool.submit(() -> {
                        for (int i; (i = next.getAndIncrement()) < n; ) {
                            int id = i % 20;
                            // every 50th read asks for another identity's secret: denied
                            int target = i % 50 == 0 ? (id + 1) % 20 : id;
                            HttpRequest r = HttpRequest.newBuilder(vault.uri("/v1/vault/secrets/agent_" + target
                                    + "/KEY_" + (i % 5))).header("Authorization", "Bearer " + tokens.get(id)).build();
                            http.send(r, HttpResponse.BodyHandlers.discarding());
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            }
            System.out.printf("sink %s: %d reads in %.1f s%n", sink, n, (System.nanoTime() - start) / 1e9);
            String range = "from=" + Instant.now().minusSeconds(86_400) + "&to=" + Instant.now().plusSeconds(3600);
            for (String format : List.of("json", "csv", "html")) {
                time(vault, owner, "/v1/vault/audit/reports?format=" + format + "&" + range, "report " + format);
            }
            time(vault, owner, "/v1/vault/audit/reports?format=json&identityId=agent_3&" + range, "report json, 1 identity");
            time(vault, owner, "/v1/vault/audit/logs?limit=100", "audit query, first page of 100");
            time(vault, owner, "/v1/vault/audit/logs?limit=100&secretKey=KEY_3&outcome=DENIED", "audit query, key+DENIED");
        } finally {
            measured.close();
        }
    }

    private static void time(TestVault vault, String token, String path, String what) {
        long[] t = new long[5];
        int size = 0;
        for (int i = 0; i < t.length; i++) {
            long s = System.nanoTime();
            TestVault.Response r = vault.get(path, token);
            t[i] = System.nanoTime() - s;
            if (r.status() != 200) {
                throw new IllegalStateException(what + ": " + r.status() + " " + r.body());
            }
            size = r.body().length();
        }
        Arrays.sort(t);
        System.out.printf("%-36s median %8.1f ms  max %8.1f ms  (%d bytes)%n", what, t[2] / 1e6, t[4] / 1e6, size);
    }
}
