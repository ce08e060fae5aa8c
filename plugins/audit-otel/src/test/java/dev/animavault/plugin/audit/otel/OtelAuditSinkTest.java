package dev.animavault.plugin.audit.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.testkit.AuditTestEvents;
import dev.animavault.spi.testkit.TestPluginContext;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The otel sink against a real OTLP/HTTP receiver on 127.0.0.1 (protobuf decoded with the OTLP classes). */
@Timeout(60)
class OtelAuditSinkTest {
    @TempDir
    Path dataDirectory;
    private final OtlpReceiver receiver = new OtlpReceiver();
    private final AuditTestEvents events = new AuditTestEvents();

    OtelAuditSinkTest() throws Exception {
    }

    @AfterEach
    void stop() {
        receiver.close();
    }

    private AuditSink open(Map<String, String> config, Map<String, String> env) {
        OtelAuditSinkFactory factory = new OtelAuditSinkFactory(env::get);
        return factory.create(ProviderConfig.validate(factory, config, "test"), TestPluginContext.withHttp(dataDirectory));
    }

    @Test
    void eachEventArrivesAsALogRecordWithEveryField() {
        Instant t = Instant.parse("2026-03-01T12:00:00.123456789Z");
        AuditEvent read = new AuditEvent("ev_1", t, "secret.read", AuditOutcome.SUCCESS, "org_a", "agent_1",
                "OPENAI_API_KEY", 3, "identity:agent_1/tok_1", "req-1", "192.0.2.7", null,
                Map.of("form", "value", "via", "test"));
        AuditEvent denied = new AuditEvent("ev_2", t.plusSeconds(1), "secret.read", AuditOutcome.DENIED, "org_a",
                "agent_1", "OTHER", null, "identity:agent_1/tok_1", "req-2", null, "permission_denied", Map.of());
        AuditEvent attempt = new AuditEvent("ev_3", t.plusSeconds(2), "secret.create", AuditOutcome.ATTEMPT, "org_a",
                null, null, null, "apikey:ak_1", "req-3", null, null, Map.of());
        AuditEvent failure = events.sparseEvent(null, t.plusSeconds(3));
        failure = new AuditEvent(failure.id(), failure.timestamp(), "token.issue", AuditOutcome.FAILURE, null, null,
                null, null, null, null, null, "internal", Map.of());
        try (AuditSink sink = open(Map.of("endpoint", receiver.endpoint(), "headers", "x-api-key=k%3D1,x-team=audit",
                "compression", "gzip", "service-name", "vault-eu"), Map.of())) {
            sink.probe();
            sink.write(List.of(read, denied));
            sink.write(List.of(attempt, failure));
            assertEquals(AuditSinkHealth.State.OK, sink.health().state());
        }
        // the probe's empty request counts too
        assertEquals(3, receiver.received.size());
        assertEquals(0, receiver.received.get(0).request().getResourceLogsCount(), "probe: an empty request");
        OtlpReceiver.Received second = receiver.received.get(1);
        assertEquals(List.of("k=1"), second.headers().get("X-api-key"));
        assertEquals(List.of("audit"), second.headers().get("X-team"));
        assertEquals(List.of("gzip"), second.headers().get("Content-encoding"));
        ResourceLogs rl = second.request().getResourceLogs(0);
        Map<String, Object> resource = OtlpReceiver.attributes(rl.getResource().getAttributesList());
        assertEquals("vault-eu", resource.get("service.name"));
        assertEquals("test-deployment", resource.get("anima.deployment.id"));
        assertEquals("dev.animavault.audit", rl.getScopeLogs(0).getScope().getName());

        List<LogRecord> records = receiver.records();
        assertEquals(4, records.size());
        LogRecord r = records.get(0);
        assertEquals("anima.audit", r.getEventName());
        assertEquals("secret.read", r.getBody().getStringValue());
        assertEquals(t.getEpochSecond() * 1_000_000_000L + t.getNano(), r.getTimeUnixNano());
        assertTrue(r.getObservedTimeUnixNano() > 0);
        assertEquals(SeverityNumber.SEVERITY_NUMBER_INFO, r.getSeverityNumber());
        assertEquals("SUCCESS", r.getSeverityText());
        Map<String, Object> expected = new HashMap<>(Map.of(
                "anima.audit.id", "ev_1", "anima.audit.action", "secret.read", "anima.audit.outcome", "SUCCESS",
                "anima.organization.id", "org_a", "anima.identity.id", "agent_1", "anima.secret.key", "OPENAI_API_KEY",
                "anima.secret.version", 3L, "anima.audit.actor", "identity:agent_1/tok_1",
                "anima.audit.request_id", "req-1", "client.address", "192.0.2.7"));
        expected.put("anima.audit.details.form", "value");
        expected.put("anima.audit.details.via", "test");
        assertEquals(expected, OtlpReceiver.attributes(r.getAttributesList()));

        assertEquals(SeverityNumber.SEVERITY_NUMBER_WARN, records.get(1).getSeverityNumber());
        Map<String, Object> d = OtlpReceiver.attributes(records.get(1).getAttributesList());
        assertEquals("permission_denied", d.get("error.type"));
        assertFalse(d.containsKey("anima.secret.version"), "null fields are left out");
        assertFalse(d.containsKey("client.address"));
        assertEquals("ATTEMPT", records.get(2).getSeverityText());
        assertEquals(SeverityNumber.SEVERITY_NUMBER_INFO, records.get(2).getSeverityNumber());
        assertEquals(SeverityNumber.SEVERITY_NUMBER_ERROR, records.get(3).getSeverityNumber());
        assertEquals(Map.of("anima.audit.id", failure.id(), "anima.audit.action", "token.issue",
                "anima.audit.outcome", "FAILURE", "error.type", "internal"),
                OtlpReceiver.attributes(records.get(3).getAttributesList()));
    }

    @Test
    void aRefusingCollectorFailsTheWriteAndHealthUntilItAcceptsAgain() {
        try (AuditSink sink = open(Map.of("endpoint", receiver.endpoint()), Map.of())) {
            sink.write(List.of(events.event("org_a", "agent_1", "secret.read", AuditTestEvents.at(1))));
            receiver.status.set(503);
            VaultException e = assertThrows(VaultException.class, () ->
                    sink.write(List.of(events.event("org_a", "agent_1", "secret.read", AuditTestEvents.at(2)))));
            assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
            assertTrue(e.getMessage().contains("HTTP 503"), e.getMessage());
            assertEquals(AuditSinkHealth.State.UNAVAILABLE, sink.health().state());
            assertTrue(sink.health().detail().contains("503"), sink.health().detail());
            VaultException p = assertThrows(VaultException.class, sink::probe);
            assertEquals(ErrorCode.AUDIT_UNAVAILABLE, p.errorCode());

            receiver.status.set(200);
            sink.write(List.of(events.event("org_a", "agent_1", "secret.read", AuditTestEvents.at(3))));
            assertEquals(AuditSinkHealth.State.OK, sink.health().state());
        }
        assertEquals(2, receiver.records().size(), "the refused batch is not counted as received");
    }

    @Test
    void aCollectorThatIsGoneFailsProbeAndWrite() {
        String endpoint = receiver.endpoint();
        receiver.close();
        try (AuditSink sink = open(Map.of("endpoint", endpoint, "timeout", "2s"), Map.of())) {
            VaultException p = assertThrows(VaultException.class, sink::probe);
            assertEquals(ErrorCode.AUDIT_UNAVAILABLE, p.errorCode());
            assertTrue(p.getMessage().contains("cannot reach"), p.getMessage());
            VaultException w = assertThrows(VaultException.class, () ->
                    sink.write(List.of(events.event("org_a", null, "secret.read", AuditTestEvents.at(1)))));
            assertEquals(ErrorCode.AUDIT_UNAVAILABLE, w.errorCode());
            assertTrue(w.getMessage().contains("ConnectException"), w.getMessage());
        }
    }

    @Test
    void theStandardVariablesConfigureTheSinkWhenItsSettingsAreEmpty() {
        Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base() + "/",
                "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc", "OTEL_SERVICE_NAME", "from-env",
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        try (AuditSink sink = open(Map.of(), env)) {
            sink.write(List.of(events.event("org_a", "agent_1", "secret.read", AuditTestEvents.at(1))));
        }
        assertEquals(1, receiver.records().size());
        assertEquals(List.of("Bearer abc"), receiver.received.get(0).headers().get("Authorization"));
        assertEquals("from-env", OtlpReceiver.attributes(receiver.received.get(0).request().getResourceLogs(0)
                .getResource().getAttributesList()).get("service.name"));
        assertNull(receiver.received.get(0).headers().get("Content-encoding"));
    }

    @Test
    void badSettingsStopStartupNamingTheSetting() {
        OtelAuditSinkFactory factory = new OtelAuditSinkFactory(Map.of("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")::get);
        VaultException grpc = assertThrows(VaultException.class, () -> factory.create(
                ProviderConfig.validate(factory, Map.of("endpoint", receiver.endpoint()), "t"),
                TestPluginContext.withHttp(dataDirectory)));
        assertEquals(ErrorCode.CONFIGURATION, grpc.errorCode());
        assertTrue(grpc.getMessage().contains("OTEL_EXPORTER_OTLP_PROTOCOL"), grpc.getMessage());

        for (Map<String, String> bad : List.of(Map.of("endpoint", "ftp://127.0.0.1/x"),
                Map.of("endpoint", receiver.endpoint(), "compression", "zstd"),
                Map.of("endpoint", receiver.endpoint(), "headers", "novalue"),
                Map.of("endpoint", receiver.endpoint(), "timeout", "10ms"))) {
            VaultException e = assertThrows(VaultException.class, () -> open(bad, Map.of()), bad.toString());
            assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        }
        // plain http to a host the egress policy does not list
        OtelAuditSinkFactory f = new OtelAuditSinkFactory(Map.<String, String>of()::get);
        VaultException e = assertThrows(VaultException.class, () -> f.create(
                ProviderConfig.validate(f, Map.of("endpoint", receiver.endpoint()), "t"),
                TestPluginContext.denyingEgress(dataDirectory)));
        assertTrue(e.getMessage().contains("vault.egress.allow"), e.getMessage());
    }

    @Test
    void headersAreMaskedInTheSettingsDescription() {
        OtelAuditSinkFactory f = new OtelAuditSinkFactory(Map.<String, String>of()::get);
        ProviderConfig config = ProviderConfig.validate(f, Map.of("endpoint", receiver.endpoint(),
                "headers", "x-api-key=topsecret"), "t");
        assertFalse(config.toString().contains("topsecret"), config.toString());
        try (AuditSink sink = f.create(config, TestPluginContext.withHttp(dataDirectory))) {
            assertFalse(sink.toString().contains("topsecret"));
        }
    }
}
