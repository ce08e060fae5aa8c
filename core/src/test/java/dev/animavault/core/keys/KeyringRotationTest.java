package dev.animavault.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.config.KeyringConfig;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyring rotation over HTTP on a real vault (SQLite): automatic rotation by encryption count, the
 * re-encryption job moving every version and record and removing the old key, and token key rotation that
 * keeps existing tokens valid until their deadline.
 */
class KeyringRotationTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    /** Small numbers: encryptions reserved 3 at a time, fast refresh and job. */
    static KeyringConfig fast(long rotateAt, boolean job) {
        return new KeyringConfig(Duration.ofDays(90), rotateAt, 3, Duration.ofMillis(50), job, 100_000, 7,
                Duration.ofDays(30));
    }

    static KeyringConfig fast(long rotateAt) {
        return fast(rotateAt, true);
    }

    /**
     * A threshold of 12 and blocks of 3: the 10th value takes the reserved count to 12 and the key rotates.
     * (The job is off here: with a threshold below the number of stored values, re-encrypting them would
     * reach it again; real thresholds are far above any vault's value count, see docs/keys.md.)
     */
    @Test
    void aKeyRotatesAutomaticallyWhenItsDurableEncryptionCountReachesTheThreshold() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b.keyring(fast(12, false)))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            for (int i = 0; i < 9; i++) {
                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "K" + i, "value", "value-" + i, "type", "api_key")));
                assertEquals(201, r.status(), r.body());
            }
            JsonNode before = status(vault);
            assertEquals(1, before.get("activeKey").asInt(), before.toString());
            assertEquals(9, before.at("/keys/0/encryptions").asLong(), "counted in storage, 3 at a time: " + before);
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "K9", "value", "value-9", "type", "api_key"))).status());
            JsonNode rotated = await(vault, s -> s.get("activeKey").asInt() == 2, "rotation by count");
            assertEquals(12, rotated.at("/keys/0/encryptions").asLong(), rotated.toString());
            assertEquals(2, rotated.get("keys").size(), "rotated once: " + rotated);
            Response audit = vault.get("/v1/vault/audit/logs?action=keyring.rotate", OWNER);
            assertEquals(200, audit.status(), audit.body());
            for (int i = 0; i < 10; i++) {
                assertEquals("value-" + i, vault.get("/v1/vault/secrets/agent_1/K" + i, OWNER).json().get("value")
                        .asText());
            }
        }
    }

    @Test
    void reencryptionMovesEveryVersionAndRemovesTheOldKey() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b.keyring(fast(1_000_000)))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            for (int i = 0; i < 10; i++) {
                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "K" + i, "value", "value-" + i + "-v1", "type", "api_key")));
                assertEquals(201, r.status(), r.body());
            }
            assertEquals(200, vault.post("/v1/sys/keyring/rotate", OWNER, "{\"key\":\"data\"}").status());
            for (int i = 0; i < 10; i += 3) {
                assertEquals(200, vault.put("/v1/vault/secrets/agent_1/K" + i, OWNER, TestVault.json(Map.of(
                        "value", "value-" + i + "-v2"))).status());
            }
            JsonNode done = await(vault, s -> s.get("keys").size() == 1
                    && s.at("/reencryption/state").asText().equals("done"), "re-encryption and key removal");
            int active = done.get("activeKey").asInt();
            assertTrue(done.at("/reencryption/versionsMoved").asLong() >= 1, done.toString());
            assertEquals(active, done.at("/reencryption/targetKey").asInt());
            for (int i = 0; i < 10; i++) {
                String expect = "value-" + i + (i % 3 == 0 ? "-v2" : "-v1");
                Response read = vault.get("/v1/vault/secrets/agent_1/K" + i, OWNER);
                assertEquals(200, read.status(), read.body());
                assertEquals(expect, read.json().get("value").asText());
                if (i % 3 == 0) {
                    Response v1 = vault.get("/v1/vault/secrets/agent_1/K" + i + "?version=1", OWNER);
                    assertEquals("value-" + i + "-v1", v1.json().get("value").asText(), v1.body());
                }
            }
            StorageBackend storage = vault.node().storage();
            for (SecretMetadata m : storage.listSecrets("default", "agent_1", PageRequest.first(100)).items()) {
                for (SecretVersion v : storage.listVersions(m.ref())) {
                    assertEquals(active, Barrier.keyIdOf(v.value()), m.ref().key() + " v" + v.version());
                }
            }
        }
    }

    @Test
    void onDemandRotationNeedsKeysRotateAndAnIdentityTokenIsRefused() {
        try (TestVault vault = TestVault.start(tmp, b -> b.keyring(fast(1_000_000)))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            String agent = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}").json().get("token").asText();
            Response refused = vault.post("/v1/sys/keyring/rotate", agent, "");
            assertEquals(403, refused.status(), refused.body());
            Response bad = vault.post("/v1/sys/keyring/rotate", OWNER, "{\"key\":\"root\"}");
            assertEquals(400, bad.status(), bad.body());
            assertEquals("invalid_argument", bad.code());
            Response r = vault.post("/v1/sys/keyring/rotate", OWNER, "");
            assertEquals(200, r.status(), r.body());
            assertEquals(2, r.json().get("activeKey").asInt());
            Response audit = vault.get("/v1/vault/audit/logs?action=keyring.rotate", OWNER);
            assertTrue(audit.body().contains("keyring.rotate"), audit.body());
        }
    }

    @Test
    void tokensSurviveTokenKeyRotationUntilTheirDeadlineUnlessUsed() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b.keyring(fast(1_000_000)))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "K", "value", "token-test-value", "type", "api_key"))).status());
            Response issued = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}");
            String used = issued.json().get("token").asText();
            String usedId = issued.json().get("id").asText();
            String unused = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}").json().get("token").asText();

            Response r = vault.post("/v1/sys/keyring/rotate", OWNER, "{\"key\":\"token\"}");
            assertEquals(200, r.status(), r.body());
            assertEquals(2, r.json().get("activeTokenKey").asInt());
            // every token issued before still works: verified under version 1, then re-hashed under 2
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", used).status());
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", OWNER).status());
            JsonNode record = TestVault.JSON.readTree(vault.node().storage().getRecord(TokenService.NAMESPACE, usedId)
                    .orElseThrow().value());
            assertEquals(2, record.get("kv").asInt(), "re-hashed under the new key on use");
            String fresh = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}").json().get("token").asText();

            // a short deadline: the owner key is used at once (re-hashed), the unused token is not
            r = vault.post("/v1/sys/keyring/rotate", OWNER, "{\"key\":\"token\",\"retireOldAfter\":\"1s\"}");
            assertEquals(200, r.status(), r.body());
            assertEquals(3, r.json().get("activeTokenKey").asInt());
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", OWNER).status());
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", fresh).status());
            Thread.sleep(1500);
            assertEquals(401, vault.get("/v1/vault/secrets/agent_1/K", unused).status(), "past the deadline");
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", OWNER).status());
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", fresh).status());
            // the job drops versions no token uses any more
            JsonNode s = await(vault, x -> x.get("tokenKeys").size() == 1, "unused token key versions removed");
            assertEquals(3, s.get("activeTokenKey").asInt());
            assertFalse(s.toString().contains("\"key\":"), "no key material in the status: " + s);
        }
    }

    static JsonNode status(TestVault vault) {
        Response r = vault.get("/v1/sys/keyring", OWNER);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static JsonNode await(TestVault vault, Predicate<JsonNode> until, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode s = status(vault);
        while (!until.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + ": " + s);
            }
            Thread.sleep(50);
            s = status(vault);
        }
        return s;
    }
}
