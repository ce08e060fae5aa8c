package dev.animavault.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled {@code audit-otel} zip loads through PF4J and records a real request's events at an
 * OTLP/HTTP endpoint on 127.0.0.1 beside the file sink (the plugin's own tests decode the protobuf
 * field by field; here the request bodies are checked for the event's strings).
 */
@Timeout(60)
class OtelAuditPluginTest {
    @TempDir
    Path tmp;

    @Test
    void aReadIsExportedAsAnOtlpLogRecord() throws Exception {
        List<String> bodies = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/v1/logs", exchange -> {
            try (exchange) {
                assertEquals("application/x-protobuf", exchange.getRequestHeaders().getFirst("Content-Type"));
                bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1));
                exchange.sendResponseHeaders(200, -1);
            }
        });
        collector.start();
        try (TestVault vault = TestVault.start(tmp, b -> b
                .egressAllow(List.of("127.0.0.1"))
                .audit(List.of(new ProviderSpec("file", Map.of()), new ProviderSpec("otel", Map.of(
                        "endpoint", "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/logs",
                        "service-name", "vault-under-test")))))) {
            String owner = TestVault.OWNER_TOKEN;
            assertEquals(201, vault.post("/v1/identities", owner, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", owner, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "OTEL_KEY", "value", "value-not-exported-1", "type", "api_key"))).status());
            Response read = vault.get("/v1/vault/secrets/agent_1/OTEL_KEY", owner);
            assertEquals(200, read.status(), read.body());
            Response health = vault.get("/v1/sys/health", null);
            assertEquals("otel", health.json().at("/checks/audit/1/type").asText(), health.body());
            assertEquals("ok", health.json().at("/checks/audit/1/status").asText(), health.body());
            String all = String.join("\n", bodies);
            assertTrue(all.contains("secret.read"), "the read's record arrived");
            assertTrue(all.contains("OTEL_KEY") && all.contains("anima.audit.outcome") && all.contains("vault-under-test"));
            assertFalse(all.contains("value-not-exported-1"), "no secret value in any record");
        } finally {
            collector.stop(0);
        }
    }
}
