package dev.animavault.core.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: with an OpenTelemetry SDK registered globally, a secret read makes a request span with a child
 * storage span, and no span attribute holds the secret value or the token; without one, nothing is traced.
 */
@Timeout(60)
class TracingTest {
    private static final String VALUE = "very-secret-value-4711";

    @TempDir
    Path tmp;

    @AfterEach
    void reset() {
        GlobalOpenTelemetry.resetForTest();
        Tracing.disable();
    }

    @Test
    void aSecretReadMakesARequestSpanWithAChildStorageSpanAndNoSecretInAttributes() {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
                .build();
        GlobalOpenTelemetry.resetForTest();
        GlobalOpenTelemetry.set(sdk);
        try (TestVault vault = TestVault.start(tmp)) {
            String owner = TestVault.OWNER_TOKEN;
            assertEquals(201, vault.post("/v1/identities", owner, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", owner, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "DB", "value", VALUE))).status());
            String token = vault.post("/v1/identities/agent_1/tokens", owner, "{}").json().get("token").asText();
            exporter.reset();
            TestVault.Response read = vault.get("/v1/vault/secrets/agent_1/DB", token);
            assertEquals(200, read.status());
            assertTrue(read.body().contains(VALUE));

            // the request span ends after the response has been sent: wait for it (bounded)
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            List<SpanData> finished = exporter.getFinishedSpanItems();
            while (requestSpan(finished).isEmpty() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
                finished = exporter.getFinishedSpanItems();
            }
            List<SpanData> spans = finished;
            SpanData request = requestSpan(spans)
                    .orElseThrow(() -> new AssertionError("no request span: " + spans));
            assertEquals("GET", request.getName());
            assertEquals(200L, request.getAttributes().get(
                    io.opentelemetry.api.common.AttributeKey.longKey("http.response.status_code")));
            List<SpanData> storage = spans.stream()
                    .filter(s -> s.getName().startsWith("storage."))
                    .filter(s -> s.getParentSpanId().equals(request.getSpanId()))
                    .toList();
            assertFalse(storage.isEmpty(), "a child storage span of the request: " + spans);
            assertEquals(request.getTraceId(), storage.get(0).getTraceId());
            for (SpanData s : spans) {
                String attributes = s.getAttributes().toString() + s.getName() + s.getStatus();
                assertFalse(attributes.contains(VALUE), "a span holds the secret value: " + s);
                assertFalse(attributes.contains(token), "a span holds the token: " + s);
            }
        } finally {
            sdk.close();
        }
    }

    private static java.util.Optional<SpanData> requestSpan(List<SpanData> spans) {
        return spans.stream()
                .filter(s -> "/v1/vault/secrets/agent_1/DB".equals(s.getAttributes().get(
                        io.opentelemetry.api.common.AttributeKey.stringKey("url.path"))))
                .findFirst();
    }

    @Test
    void withoutAnSdkNothingIsTraced() {
        GlobalOpenTelemetry.resetForTest();
        assertFalse(Tracing.configure(OpenTelemetry.noop()));
        assertNull(Tracing.tracer(), "call sites take their untraced branch");
        assertFalse(Tracing.configureFromGlobal());
        assertNull(Tracing.tracer());
    }
}
