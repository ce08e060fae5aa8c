package dev.animavault.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fills a running vault for the benchmark: makes sure identities {@code <prefix>000..} exist, then
 * stores {@code count} new secrets spread over them from {@code concurrency} clients, and reports
 * the rate. The organization API key comes from the environment variable {@code AV_TOKEN} so it
 * stays out of process listings; no value is printed.
 *
 * <p>Usage: {@code SecretLoader <base-url> <identities> <identity-prefix> <count> <concurrency> <key-prefix>}
 */
public final class SecretLoader {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private SecretLoader() {
    }

    /**
     * Runs the load; exits 1 if any request failed.
     *
     * @param args see the class documentation
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: SecretLoader <base-url> <identities> <identity-prefix> <count> <concurrency> <key-prefix>");
            System.exit(2);
        }
        URI base = URI.create(args[0]);
        int identities = Integer.parseInt(args[1]);
        String identityPrefix = args[2];
        int count = Integer.parseInt(args[3]);
        int concurrency = Integer.parseInt(args[4]);
        String keyPrefix = args[5];
        String token = System.getenv("AV_TOKEN");
        if (token == null || token.isBlank()) {
            System.err.println("SecretLoader: set AV_TOKEN to an organization API key");
            System.exit(2);
        }

        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        // from `concurrency` clients too: the pages part of http-bench.sh creates 10^5 identities
        AtomicInteger nextIdentity = new AtomicInteger();
        AtomicReference<String> identityFailure = new AtomicReference<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, identities)))) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < Math.max(1, Math.min(concurrency, identities)); c++) {
                running.add(clients.submit(() -> {
                    for (int i = nextIdentity.getAndIncrement(); i < identities && identityFailure.get() == null;
                         i = nextIdentity.getAndIncrement()) {
                        String id = identityId(identityPrefix, i);
                        HttpResponse<String> response = post(http, base, token, "/v1/identities",
                                "{\"id\":\"" + id + "\",\"name\":\"bench " + id + "\"}");
                        if (response.statusCode() != 201 && response.statusCode() != 409) {
                            identityFailure.compareAndSet(null, "creating identity " + id + " failed: "
                                    + response.statusCode() + " " + response.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        }
        if (identityFailure.get() != null) {
            System.err.println("SecretLoader: " + identityFailure.get());
            System.exit(1);
        }
        if (count == 0) {
            System.out.println("identities ready: " + identities);
            return;
        }

        AtomicInteger next = new AtomicInteger();
        AtomicInteger stored = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicLong lastReport = new AtomicLong(System.nanoTime());
        AtomicReference<String> firstFailure = new AtomicReference<>();
        // A value of typical API-key length; the barrier encrypts each write with a fresh nonce anyway.
        String value = "sk-bench-" + "0123456789abcdef".repeat(4);
        // AV_ROTATION: a JSON rotation policy every stored secret carries (bench/rotation-bench.sh)
        String rotation = System.getenv("AV_ROTATION");
        long start = System.nanoTime();
        try (ExecutorService clients = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                running.add(clients.submit(() -> {
                    for (int n = next.getAndIncrement(); n < count; n = next.getAndIncrement()) {
                        String body = "{\"identityId\":\"" + identityId(identityPrefix, n % identities)
                                + "\",\"key\":\"" + keyPrefix + "_" + n + "\",\"value\":\"" + value + "\",\"type\":\"api_key\""
                                + (rotation == null || rotation.isBlank() ? "" : ",\"rotation\":" + rotation) + "}";
                        try {
                            HttpResponse<String> response = post(http, base, token, "/v1/vault/secrets", body);
                            if (response.statusCode() == 201) {
                                stored.incrementAndGet();
                            } else {
                                failed.incrementAndGet();
                                firstFailure.compareAndSet(null, response.statusCode() + " " + response.body());
                            }
                        } catch (IOException e) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, e.toString());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return null;
                        }
                        long now = System.nanoTime();
                        long last = lastReport.get();
                        if (now - last > 10_000_000_000L && lastReport.compareAndSet(last, now)) {
                            System.out.printf(Locale.ROOT, "  ... %d stored%n", stored.get());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "stored=%d failed=%d seconds=%.1f rate=%.0f%n",
                stored.get(), failed.get(), seconds, stored.get() / seconds);
        if (failed.get() > 0) {
            System.err.println("SecretLoader: first failure: " + firstFailure.get());
            System.exit(1);
        }
    }

    private static String identityId(String prefix, int index) {
        return String.format(Locale.ROOT, "%s%03d", prefix, index);
    }

    private static HttpResponse<String> post(HttpClient http, URI base, String token, String path, String json)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
