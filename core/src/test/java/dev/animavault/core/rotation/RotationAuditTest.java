package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.RotationConfig;
import dev.animavault.core.plugin.TestPluginBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rotation engine keeps the vault's rule "no state change without an audit record": while no audit sink
 * records, a due rotation creates no version and calls no webhook; once a sink records again it runs, and its
 * state-changing steps are recorded as an attempt before and an outcome after.
 */
class RotationAuditTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void aDueRotationWaitsWhileNoSinkRecordsAndThenRunsWithAttemptAndOutcome() throws Exception {
        Path built = Files.createDirectories(tmp.resolve("built"));
        Path sinkZip = TestPluginBuilder.licensePlugin("license-plugin").buildInto(built);
        Path typeZip = RotationTest.generatingTypePlugin(tmp.resolve("built-type"));
        Path flag = tmp.resolve("audit-off");
        RotationConfig rotation = new RotationConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1),
                List.of(Duration.ofMillis(200)), Duration.ofSeconds(3), Duration.ofHours(1));
        try (TestVault vault = TestVault.start(tmp.resolve("vault"), b -> b
                .audit(List.of(new ProviderSpec("switchable", Map.of("fail-flag", flag.toString()))))
                .auditTimeout(Duration.ofSeconds(2))
                .credentialTypes(List.of("test_password", "api_key"))
                .defaultCredentialType("test_password")
                .egressAllow(List.of("127.0.0.1"))
                .rotation(rotation), sinkZip, typeZip);
             WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/rotation/signing-secret", OWNER, "{}").status());
            Response created = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "DB_PASSWORD", "value", "first-value-1", "rotation", Map.of("interval", "3s",
                            "leadTime", "1s", "webhookUrl", receiver.url()))));
            assertEquals(201, created.status(), created.body());

            Files.createFile(flag); // no sink records from now on
            Thread.sleep(4_000);    // the rotation fell due ~2 s ago and the scheduler polled every 100 ms
            assertTrue(receiver.deliveries.isEmpty(), "no webhook while nothing can be audited");
            Files.delete(flag);

            WebhookReceiver.await("promotion", Duration.ofSeconds(20), () -> version(vault) == 2);
            assertEquals(1, receiver.deliveries.size(), "one delivery once the sink records again");
        }
    }

    private static int version(TestVault vault) {
        return vault.get("/v1/vault/secrets/agent_1/DB_PASSWORD", OWNER).json().get("currentVersion").asInt();
    }
}
