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
            // the read's audit event, written by the broker's flusher: its batch span is a child of the request
            // span (the batch held this request's events only), the sink's write span a child of the batch
            List<SpanData> batches = spans.stream()
                    .filter(s -> s.getName().equals("audit.batch"))
                    .filter(s -> s.getParentSpanId().equals(request.getSpanId()))
                    .toList();
            assertFalse(batches.isEmpty(), "an audit batch span under the request: " + spans);
            assertEquals(request.getTraceId(), batches.get(0).getTraceId());
            assertTrue(spans.stream().anyMatch(s -> s.getName().equals("audit.write")
                    && s.getParentSpanId().equals(batches.get(0).getSpanId())), "the sink's write under the batch: " + spans);
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

    /**
     * A batch holding the events of two requests cannot be the child of both: it is a root span linked to each;
     * a batch of one request's events (twice) is that request span's child; events recorded outside any span add
     * no link.
     */
    @Test
    void anAuditBatchOfSeveralRequestsLinksThemAndOneOfASingleRequestIsItsChild() {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (SdkTracerProvider provider = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
            io.opentelemetry.api.trace.Tracer t = provider.get("test");
            io.opentelemetry.api.trace.Span first = t.spanBuilder("GET").setNoParent().startSpan();
            io.opentelemetry.api.trace.Span second = t.spanBuilder("POST").setNoParent().startSpan();
            var a = first.getSpanContext();
            var b = second.getSpanContext();

            assertTrue(Tracing.auditBatch(t, java.util.Arrays.asList(a, null, b, a), () -> true));
            assertFalse(Tracing.auditBatch(t, List.of(a, a), () -> false));
            first.end();
            second.end();

            List<SpanData> batches = exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getName().equals("audit.batch")).toList();
            assertEquals(2, batches.size());
            SpanData shared = batches.get(0);
            assertFalse(shared.getParentSpanContext().isValid(), "a root span");
            assertEquals(List.of(a, b), shared.getLinks().stream().map(l -> l.getSpanContext()).toList());
            assertEquals(4L, shared.getAttributes().get(
                    io.opentelemetry.api.common.AttributeKey.longKey("anima.audit.events")));
            assertEquals(2L, shared.getAttributes().get(
                    io.opentelemetry.api.common.AttributeKey.longKey("anima.audit.requests")));
            SpanData own = batches.get(1);
            assertEquals(a.getSpanId(), own.getParentSpanId());
            assertEquals(a.getTraceId(), own.getTraceId());
            assertTrue(own.getLinks().isEmpty());
            assertEquals(io.opentelemetry.api.trace.StatusCode.ERROR, own.getStatus().getStatusCode(),
                    "no sink recorded it");
        }
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
