package dev.animavault.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.cli.ClientCli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code anima-vault audit hash [--all-versions] VALUE} over HTTP against a running vault (issue 15). */
class AuditHashCliTest {
    @TempDir
    Path tmp;

    private static JsonNode run(TestVault vault, Path tokenFile, String... args) throws Exception {
        ClientCli.Run run = ClientCli.run(vault, tokenFile, null, args);
        assertEquals(0, run.status(), run.err());
        return run.json();
    }

    @Test
    @Timeout(60)
    void hashesAValueAndAnActorUnderEveryVersion() throws Exception {
        try (TestVault vault = TestVault.start(tmp.resolve("v"))) {
            Path token = tmp.resolve("token");
            Files.writeString(token, TestVault.OWNER_TOKEN);
            JsonNode one = run(vault, token, "audit", "hash", "10.0.0.7");
            assertEquals(vault.recorded("10.0.0.7"), one.get("hmac").asText());
            assertEquals(200, vault.post("/v1/sys/keyring/rotate", TestVault.OWNER_TOKEN, "{\"key\":\"audit\"}").status());
            JsonNode all = run(vault, token, "audit", "hash", "--all-versions", "identity:agent_1/tok_1");
            assertEquals(2, all.get("activeVersion").asInt());
            assertEquals(2, all.get("versions").size(), all.toString());
            assertTrue(all.get("versions").get(0).asText().startsWith("identity:agent_1/hmac:v2:"), all.toString());
            assertTrue(all.get("versions").get(1).asText().startsWith("identity:agent_1/hmac:v1:"), all.toString());
            assertEquals(all.get("actor").asText(), all.get("versions").get(0).asText());
        }
    }
}
