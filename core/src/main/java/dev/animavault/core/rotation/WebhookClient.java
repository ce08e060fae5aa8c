package dev.animavault.core.rotation;

import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;

/**
 * Sends one signed delivery: the egress policy is checked (and the host resolved again) at every
 * attempt, not only when the policy was set; no redirects; one timeout for connect and response; at
 * most 64 KiB of the response body is read.
 */
final class WebhookClient implements AutoCloseable {
    static final int MAX_RESPONSE_BYTES = 64 * 1024;

    /** What came of one attempt: the HTTP status (or 0 when none), an error text, the (bounded) body. */
    record Result(int status, String error, long millis, byte[] body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        @Override
        public String toString() {
            return "Result[status=" + status + ", error=" + error + ", millis=" + millis + "]";
        }
    }

    private final HttpClient http;
    private final EgressPolicy egress;
    private final Duration timeout;
    private final Clock clock;

    WebhookClient(EgressPolicy egress, Duration timeout, Clock clock) {
        this.egress = egress;
        this.timeout = timeout;
        this.clock = clock;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
    }

    Result deliver(URI url, String id, byte[] body, java.util.List<String> signingSecrets) {
        long start = System.nanoTime();
        try {
            egress.check(url);
        } catch (VaultException e) {
            return new Result(0, e.errorCode().code() + ": " + e.getMessage(), 0, new byte[0]);
        }
        long ts = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", "anima-vault-webhooks/1")
                .header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(ts))
                .header("webhook-signature", WebhookSigner.sign(signingSecrets, id, ts, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            byte[] answer;
            try (InputStream in = r.body()) {
                answer = in.readNBytes(MAX_RESPONSE_BYTES + 1);
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            if (answer.length > MAX_RESPONSE_BYTES) {
                Arrays.fill(answer, (byte) 0);
                return new Result(r.statusCode(), "response body larger than " + MAX_RESPONSE_BYTES + " bytes", ms,
                        new byte[0]);
            }
            return new Result(r.statusCode(), r.statusCode() / 100 == 2 ? null : "HTTP " + r.statusCode(), ms, answer);
        } catch (HttpTimeoutException e) {
            return new Result(0, "timed out after " + timeout.toMillis() + " ms", (System.nanoTime() - start) / 1_000_000,
                    new byte[0]);
        } catch (IOException e) {
            return new Result(0, "connection failed: " + e.getClass().getSimpleName(),
                    (System.nanoTime() - start) / 1_000_000, new byte[0]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(0, "interrupted", 0, new byte[0]);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
