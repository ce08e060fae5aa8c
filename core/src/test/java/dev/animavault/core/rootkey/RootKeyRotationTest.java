package dev.animavault.core.rootkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root key rotation through the API, with two vault nodes on one data directory (one SQLite file, one key
 * file): every secret reads back on both, the second node follows without a restart, the old key opens
 * nothing, a node started afterwards opens the keyring, and a migration to another provider (file to
 * passphrase) is the same operation.
 */
class RootKeyRotationTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    /** SQLite shared by two nodes of one process: without the read cache (which needs a sole user). */
    private static final ProviderSpec SHARED_SQLITE = new ProviderSpec("jdbc", Map.of("read-cache", "off"));

    private static TestVault node(Path root) {
        return TestVault.start(root, b -> b.storage(SHARED_SQLITE));
    }

    private static TestVault second(Path root, String audit, java.util.function.UnaryOperator<dev.animavault.core.config.VaultConfig.Builder> more) {
        return TestVault.start(root, b -> more.apply(b.storage(SHARED_SQLITE).audit(List.of(new ProviderSpec("file",
                Map.of("path", "audit/" + audit + ".jsonl"))))));
    }

    @Test
    @Timeout(120)
    void rotationKeepsEverySecretAndTheSecondNodeFollows() throws Exception {
        Path root = tmp.resolve("vault");
        try (TestVault a = node(root)) {
            assertEquals(201, a.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            for (int i = 0; i < 5; i++) {
                assertEquals(201, a.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "KEY_" + i, "value", "value-number-" + i, "type", "api_key"))).status());
            }
            try (TestVault b = second(root, "b", x -> x)) {
                Path keyFile = a.dataDir().resolve("root.key");
                String oldKey = Files.readString(keyFile);
                TestVault.Response before = a.get("/v1/sys/root-key", OWNER);
                assertEquals(200, before.status(), before.body());
                String oldId = before.json().get("keyId").asText();
                assertEquals("file", before.json().get("type").asText());

                assertEquals(401, a.post("/v1/sys/root-key/rotate", null, null).status());
                String agentToken = a.post("/v1/identities/agent_1/tokens", OWNER, "{}").json().get("token").asText();
                TestVault.Response denied = a.post("/v1/sys/root-key/rotate", agentToken, null);
                assertEquals(403, denied.status(), denied.body());
                assertEquals(403, a.get("/v1/sys/root-key", agentToken).status());
                TestVault.Response rotated = a.post("/v1/sys/root-key/rotate", OWNER, null);
                assertEquals(200, rotated.status(), rotated.body());
                String newId = rotated.json().get("keyId").asText();
                assertNotEquals(oldId, newId);
                assertEquals(before.json().get("deploymentId").asText(), rotated.json().get("deploymentId").asText(),
                        "the deployment id survives a rotation");
                assertNotEquals(oldKey, Files.readString(keyFile), "the key file holds the new key");
                try (Stream<Path> files = Files.list(a.dataDir())) {
                    assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".next-")), "no staged key left");
                }

                // every secret reads back on both nodes; the second node follows without a restart
                for (int i = 0; i < 5; i++) {
                    for (TestVault node : List.of(a, b)) {
                        TestVault.Response r = node.get("/v1/vault/secrets/agent_1/KEY_" + i, OWNER);
                        assertEquals(200, r.status(), r.body());
                        assertEquals("value-number-" + i, r.json().get("value").asText());
                    }
                }
                TestVault.Response onB = b.get("/v1/sys/root-key", OWNER);
                assertEquals(newId, onB.json().get("keyId").asText(), onB.body());
                assertTrue(onB.json().get("node").get("opensKeyring").asBoolean(), onB.body());
                assertEquals(201, b.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "WRITTEN_ON_B", "value", "after-rotation", "type", "api_key"))).status());
                assertEquals("after-rotation", a.get("/v1/vault/secrets/agent_1/WRITTEN_ON_B", OWNER).json()
                        .get("value").asText());

                // the old root key opens nothing
                Path oldFile = tmp.resolve("old.key");
                Files.writeString(oldFile, oldKey);
                Files.setPosixFilePermissions(oldFile, PosixFilePermissions.fromString("rw-------"));
                VaultException refused = assertThrows(VaultException.class, () -> Barrier.openExisting(
                        a.node().storage(), RootKey.load(oldFile, Map.of())));
                assertEquals(ErrorCode.CONFIGURATION, refused.errorCode());
                assertTrue(refused.getMessage().contains("wrong root key"), refused.getMessage());

                // the audit trail holds the rotation, naming key ids only
                String audit = Files.readString(a.dataDir().resolve("audit/audit.jsonl"), StandardCharsets.UTF_8);
                assertTrue(audit.contains("\"rootkey.rotate\"") && audit.contains(newId), "audited");
                assertFalse(audit.contains(Files.readString(keyFile).trim()), "no key in the audit trail");
            }
        }
        // a node started afterwards (a restart) opens the keyring with the rotated key file
        try (TestVault c = node(root)) {
            assertEquals("value-number-3", c.get("/v1/vault/secrets/agent_1/KEY_3", OWNER).json().get("value").asText());
        }
    }

    @Test
    @Timeout(180)
    void migratingFromFileToPassphraseIsARotationNamingTheProvider() throws Exception {
        Path root = tmp.resolve("vault");
        Path passphrase = tmp.resolve("passphrase");
        Files.writeString(passphrase, "a long enough passphrase\n");
        Map<String, String> ppConfig = Map.of("passphrase-file", passphrase.toString(), "memory-kib", "1024",
                "iterations", "1");
        try (TestVault a = node(root)) {
            assertEquals(201, a.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, a.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "K", "value", "kept-across-providers", "type", "api_key"))).status());
            try (TestVault b = second(root, "b", x -> x)) {
                assertEquals(400, a.post("/v1/sys/root-key/rotate", OWNER, "{\"type\":\"nope\"}").status());
                assertEquals(400, a.post("/v1/sys/root-key/rotate", OWNER, "{\"type\":\"passphrase\",\"config\":"
                        + "{\"passphrase-file\":\"/does/not/exist\"}}").status());
                assertTrue(Files.exists(a.dataDir().resolve("root.key")), "a refused rotation changes nothing");

                TestVault.Response r = a.post("/v1/sys/root-key/rotate", OWNER, TestVault.json(Map.of("type", "passphrase",
                        "config", ppConfig)));
                assertEquals(200, r.status(), r.body());
                assertEquals("passphrase", r.json().get("type").asText());
                assertFalse(Files.exists(a.dataDir().resolve("root.key")), "the old key file is destroyed");
                assertEquals("kept-across-providers", a.get("/v1/vault/secrets/agent_1/K", OWNER).json().get("value")
                        .asText());
                // the second node keeps serving from the keyring it holds, and says it must be reconfigured
                assertEquals("kept-across-providers", b.get("/v1/vault/secrets/agent_1/K", OWNER).json().get("value")
                        .asText());
                TestVault.Response onB = b.get("/v1/sys/root-key", OWNER);
                assertFalse(onB.json().get("node").get("opensKeyring").asBoolean(), onB.body());
            }
        }
        // restarted with the new provider configured, it opens the keyring
        try (TestVault c = TestVault.start(root, x -> x.storage(SHARED_SQLITE).rootKey(new ProviderSpec("passphrase", ppConfig)))) {
            assertEquals("kept-across-providers", c.get("/v1/vault/secrets/agent_1/K", OWNER).json().get("value").asText());
            assertEquals("passphrase", c.get("/v1/sys/root-key", OWNER).json().get("type").asText());
        }
        // with the old configuration it refuses to start, naming the provider to configure
        VaultException e = assertThrows(VaultException.class, () -> node(root).close());
        assertTrue(e.getMessage().contains("passphrase"), e.getMessage());
    }
}
