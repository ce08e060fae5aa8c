package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health checks what it claims: storage through the backend's probe and each audit sink (issue 10, item 8). */
class HealthTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void healthNamesEachCheck() {
        try (TestVault vault = TestVault.start(tmp)) {
            Response r = vault.get("/v1/sys/health", null);
            assertEquals(200, r.status(), r.body());
            assertEquals("ok", r.json().get("status").asText());
            assertEquals("jdbc", r.json().get("storage").asText());
            assertEquals("ok", r.json().at("/checks/storage/status").asText());
            assertEquals("file", r.json().at("/checks/audit/0/type").asText());
            assertEquals("ok", r.json().at("/checks/audit/0/status").asText());
        }
    }

    @Test
    void aDeletedAuditFileMakesHealth503AndReadsFailClosed() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b.auditTimeout(Duration.ofSeconds(2)))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "K", "value", "health-value-1", "type", "api_key"))).status());
            Files.delete(vault.dataDir().resolve("audit/audit.jsonl"));
            Response r = awaitHealth(vault, h -> h.status() == 503);
            assertEquals(503, r.status(), r.body());
            assertEquals("unavailable", r.json().get("status").asText());
            assertEquals("unavailable", r.json().at("/checks/audit/0/status").asText());
            assertTrue(r.json().at("/checks/audit/0/detail").asText().contains("deleted"), r.body());
            assertTrue(r.body().contains("audit sink 0 (file)"), r.body());
            assertTrue(!r.body().contains(tmp.toString()), "health names no path: " + r.body());
            Response read = vault.get("/v1/vault/secrets/agent_1/K", OWNER);
            assertEquals(503, read.status(), read.body());
            assertEquals("audit_unavailable", read.code());
        }
    }

    @Test
    void storageThatDoesNotAnswerMakesHealth503() {
        try (TestVault vault = TestVault.start(tmp)) {
            vault.node().storage().close();
            Response r = awaitHealth(vault, h -> h.status() == 503);
            assertEquals(503, r.status(), r.body());
            assertEquals("unavailable", r.json().at("/checks/storage/status").asText());
            assertTrue(r.body().contains("storage (jdbc) is not reachable since "), r.body());
            // when the outage began and its stable code: what an operator's dashboard needs
            java.time.Instant since = java.time.Instant.parse(r.json().at("/checks/storage/since").asText());
            assertTrue(!since.isAfter(java.time.Instant.now()), r.body());
            assertTrue(r.json().at("/checks/storage/error").asText().matches("[a-z_]+"), r.body());
            long later = System.nanoTime() + Duration.ofMillis(1200).toNanos(); // past the 1 s result cache
            Response again = awaitHealth(vault, h -> System.nanoTime() > later);
            assertEquals(503, again.status(), again.body());
            assertEquals(since.toString(), again.json().at("/checks/storage/since").asText(), "one outage, one start");
        }
    }

    @Test
    void healthWarnsBeforeTheAuditReserveIsReached() throws Exception {
        long usable = Files.getFileStore(tmp).getUsableSpace();
        try (TestVault vault = TestVault.start(tmp, b -> b.audit(List.of(new ProviderSpec("file",
                Map.of("path", "audit/audit.jsonl", "min-free-space", Long.toString(usable * 2 / 3))))))) {
            Response r = vault.get("/v1/sys/health", null);
            assertEquals(200, r.status(), r.body());
            assertEquals("degraded", r.json().get("status").asText(), r.body());
            assertEquals("degraded", r.json().at("/checks/audit/0/status").asText());
            assertTrue(r.json().at("/checks/audit/0/detail").asText().contains("MiB free"), r.body());
        }
    }

    /** Polls health until it matches (the file sink checks its path once a second; health caches 1 s). */
    private static Response awaitHealth(TestVault vault, Predicate<Response> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Response r = vault.get("/v1/sys/health", null);
        while (!done.test(r) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            r = vault.get("/v1/sys/health", null);
        }
        return r;
    }
}
