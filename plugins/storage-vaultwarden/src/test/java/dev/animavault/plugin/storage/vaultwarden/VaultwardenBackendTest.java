package dev.animavault.plugin.storage.vaultwarden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.BitwardenCrypto;
import dev.animavault.plugin.storage.vaultwarden.crypto.Kdf;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredSecret;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend's own behaviour beyond the contract: failures at create and at run time (wrong master
 * password or API key, server down, expired token, 429, "out of date"), Argon2id accounts, the item
 * layout people see, and items people create by hand (with per-item keys).
 */
class VaultwardenBackendTest {
    private static TestVault vault;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void start() throws IOException {
        vault = new TestVault();
    }

    @AfterAll
    static void stop() {
        vault.close();
    }

    @Test
    void wrongMasterPasswordIsAConfigurationErrorThatNamesTheKeyNotTheValue() {
        Map<String, String> config = vault.config();
        config.put(VaultwardenSettings.MASTER_PASSWORD, "not-the-password-zz9");
        VaultException e = assertThrows(VaultException.class, () -> vault.backend(dataDir, config));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("master-password"), e.getMessage());
        assertFalse(e.getMessage().contains("not-the-password-zz9"));
    }

    @Test
    void wrongApiKeyIsAConfigurationError() {
        Map<String, String> config = vault.config();
        config.put(VaultwardenSettings.CLIENT_SECRET, "wrong-secret-qq7");
        VaultException e = assertThrows(VaultException.class, () -> vault.backend(dataDir, config));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("client-secret"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-secret-qq7"));
    }

    @Test
    void unknownOrganizationIsAConfigurationError() {
        Map<String, String> config = vault.config();
        config.put(VaultwardenSettings.ORGANIZATION_ID, UUID.randomUUID().toString());
        assertEquals(ErrorCode.CONFIGURATION,
                assertThrows(VaultException.class, () -> vault.backend(dataDir, config)).errorCode());
    }

    @Test
    void serverDownIsStorageUnavailable() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> config = vault.config();
        config.put(VaultwardenSettings.URL, "https://127.0.0.1:" + port);
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE,
                assertThrows(VaultException.class, () -> vault.backend(dataDir, config)).errorCode());

        try (TestVault doomed = new TestVault(); VaultwardenStorageBackend backend = doomed.backend(dataDir)) {
            backend.createIdentity(identity("org", "agent_1"));
            doomed.server.close();
            VaultException e = assertThrows(VaultException.class, () -> backend.getIdentity("org", "agent_1"));
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
        }
    }

    /**
     * Health asks {@code probe()}: it must go to the server, not to the in-memory index, which keeps
     * answering reads of core's records for up to a sync interval after the server is gone.
     */
    @Test
    void probeReachesTheServerAndFailsAtOnceWhenItIsDown() throws IOException {
        try (TestVault doomed = new TestVault(); VaultwardenStorageBackend backend = doomed.backend(dataDir)) {
            backend.putRecord("sys", "probe-test", "x".getBytes(StandardCharsets.UTF_8), 0);
            backend.probe();
            doomed.server.close();
            // what health used to ask still answers from the index
            assertEquals(1, backend.listRecords("sys", PageRequest.first(1)).items().size());
            VaultException e = assertThrows(VaultException.class, backend::probe);
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
        }
    }

    @Test
    void expiredTokenIsRenewedTransparentlyAndShortLivedTokensBeforeExpiry() throws Exception {
        try (VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            String org = "org-" + UUID.randomUUID();
            backend.createIdentity(identity(org, "agent_1"));
            int grants = vault.server.tokenGrantCount();
            vault.server.expireTokens();
            assertTrue(backend.getIdentity(org, "agent_1").isPresent());
            assertEquals(grants + 1, vault.server.tokenGrantCount(), "one re-login after the 401");
        }
        vault.server.tokenLifetimeSeconds(2);
        try (VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            int grants = vault.server.tokenGrantCount();
            Thread.sleep(1_200); // renewal happens ahead of expiry, not after a 401
            backend.createIdentity(identity("org-" + UUID.randomUUID(), "agent_1"));
            assertEquals(grants + 1, vault.server.tokenGrantCount());
        } finally {
            vault.server.tokenLifetimeSeconds(7200);
        }
    }

    @Test
    void rateLimitingIsRetriedWithRetryAfterAndGivesUpAfterBoundedRetries() {
        try (VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            String org = "org-" + UUID.randomUUID();
            vault.server.rateLimitNext(2, 1);
            long started = System.nanoTime();
            backend.createIdentity(identity(org, "agent_1"));
            assertTrue(System.nanoTime() - started >= 1_900_000_000L, "honoured Retry-After: 1 twice");
            vault.server.rateLimitNext(100, 0);
            try {
                assertEquals(ErrorCode.RATE_LIMITED,
                        assertThrows(VaultException.class, () -> backend.getIdentity(org, "agent_1")).errorCode());
            } finally {
                vault.server.rateLimitNext(0, 0);
            }
            assertTrue(backend.getIdentity(org, "agent_1").isPresent(), "nothing lost");
        }
    }

    @Test
    void outOfDateAnswersAreRetriedAfterReReading() {
        try (VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            String org = "org-" + UUID.randomUUID();
            backend.createIdentity(identity(org, "agent_1"));
            SecretRef ref = new SecretRef(org, "agent_1", "DB_PASSWORD");
            SecretMetadata m1 = backend.createSecret(metadata(ref, "password", 1, 0), version(ref, 1, "one"));
            vault.server.outOfDateNext(2);
            SecretMetadata m2 = backend.addVersion(metadata(ref, "password", 2, m1.revision()), m1.revision(),
                    version(ref, 2, "two"));
            assertEquals(m1.revision() + 1, m2.revision());
            assertEquals("two", utf8(backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version().value()));
            assertEquals("one", utf8(backend.readSecret(ref, OptionalInt.of(1)).orElseThrow().version().value()));
        }
    }

    @Test
    void itemLayoutIsWhatPeopleExpectInBitwarden() {
        try (VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            assertEquals(Protection.NATIVE, backend.protection());
            String org = "org-" + UUID.randomUUID();
            backend.createIdentity(identity(org, "agent_1"));
            SecretRef pw = new SecretRef(org, "agent_1", "DB_PASSWORD");
            SecretRef oauth = new SecretRef(org, "agent_1", "GITHUB_OAUTH");
            backend.createSecret(metadata(pw, "password", 1, 0), version(pw, 1, "hunter2"));
            backend.createSecret(metadata(oauth, "oauth_refresh", 1, 0), version(oauth, 1, "{\"refresh_token\":\"r1\"}"));
            SymmetricKey orgKey = vault.server.organizationKey(vault.organizationId);
            int logins = 0;
            int notes = 0;
            for (String id : vault.server.cipherIds(vault.organizationId)) {
                ObjectNode raw = vault.server.cipher(id);
                assertFalse(raw.toString().contains("hunter2"), "values are encrypted on the server");
                Item item = CipherCodec.decrypt(raw, orgKey);
                if (item.name.equals("DB_PASSWORD") && org.equals(item.field(ItemMapper.ORG).orElse(""))) {
                    assertEquals(Item.LOGIN, item.type);
                    assertEquals("hunter2", item.password);
                    logins++;
                }
                if (item.name.equals("GITHUB_OAUTH") && org.equals(item.field(ItemMapper.ORG).orElse(""))) {
                    assertEquals(Item.SECURE_NOTE, item.type);
                    assertEquals("{\"refresh_token\":\"r1\"}", item.field("value").orElseThrow());
                    assertNull(item.password);
                    notes++;
                }
            }
            assertEquals(1, logins);
            assertEquals(1, notes);
        }
    }

    @Test
    void itemsPeopleCreateWithPerItemKeysAreReadWithinTheSyncInterval() {
        Map<String, String> config = new HashMap<>(vault.config());
        config.put(VaultwardenSettings.SYNC_INTERVAL, "0s");
        try (VaultwardenStorageBackend backend = vault.backend(dataDir, config)) {
            String org = "org-" + UUID.randomUUID();
            backend.createIdentity(identity(org, "agent_1"));
            SymmetricKey orgKey = vault.server.organizationKey(vault.organizationId);
            SymmetricKey itemKey = SymmetricKey.generate();
            Item human = new Item();
            human.organizationId = vault.organizationId;
            human.type = Item.LOGIN;
            human.name = "STRIPE_KEY";
            human.password = "rk_live_by_hand";
            human.uris.add("https://dashboard.stripe.com");
            human.itemKey = BitwardenCrypto.encrypt(itemKey.toBytes(), orgKey).toString();
            ObjectNode cipher = CipherCodec.encrypt(human, orgKey);
            String collection = vault.server.collectionByExternalId(ItemIndex.externalId(org, "agent_1"));
            vault.server.insertCipher(cipher, collection);

            SecretRef ref = new SecretRef(org, "agent_1", "STRIPE_KEY");
            StoredSecret read = backend.readSecret(ref, OptionalInt.empty()).orElseThrow();
            assertEquals("rk_live_by_hand", utf8(read.version().value()));
            assertEquals("password", read.metadata().type());
            assertEquals(List.of("STRIPE_KEY"), backend.listSecrets(org, "agent_1", PageRequest.first(10)).items()
                    .stream().map(m -> m.ref().key()).toList());
            // the vault can take it over: the next write keeps the item key and adds Anima's fields
            SecretMetadata m2 = backend.addVersion(metadata(ref, "password", 2, read.metadata().revision()),
                    read.metadata().revision(), version(ref, 2, "rk_live_rotated"));
            assertEquals(2, m2.currentVersion());
            assertEquals("rk_live_by_hand", utf8(backend.readSecret(ref, OptionalInt.of(1)).orElseThrow().version().value()));
        }
    }

    @Test
    void argon2idAccountsUnlock() throws IOException {
        try (TestVault argon = new TestVault(Kdf.argon2id(2, 16, 1));
             VaultwardenStorageBackend backend = argon.backend(dataDir)) {
            backend.createIdentity(identity("org", "agent_1"));
            assertTrue(backend.getIdentity("org", "agent_1").isPresent());
        }
    }

    @Test
    void deviceIdentifierIsPersistedAndSecretsAreMaskedInSettings() throws IOException {
        VaultwardenSettings s = VaultwardenSettings.from(TestVault.providerConfig(vault.config()), dataDir);
        String first = s.resolveDeviceIdentifier(dataDir);
        assertEquals(first, s.resolveDeviceIdentifier(dataDir));
        assertEquals(first, Files.readString(dataDir.resolve(VaultwardenSettings.DEVICE_ID_FILE)).trim());
        assertFalse(s.toString().contains(TestVault.PASSWORD));
        assertFalse(s.toString().contains(vault.account.apiKey));
        Map<String, String> plain = vault.config();
        plain.put(VaultwardenSettings.URL, "http://vault.example.com");
        assertEquals(ErrorCode.CONFIGURATION, assertThrows(VaultException.class,
                () -> VaultwardenSettings.from(TestVault.providerConfig(plain), dataDir)).errorCode());
        assertEquals(10, new VaultwardenStorageFactory().configProperties().size());
    }

    private static Identity identity(String org, String id) {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new Identity(org, id, "Agent " + id, Map.of(), false, t, t, 0);
    }

    private static SecretMetadata metadata(SecretRef ref, String type, int current, long revision) {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new SecretMetadata(ref, type, current, Map.of(), Map.of(), t, t, revision);
    }

    private static SecretVersion version(SecretRef ref, int n, String value) {
        return new SecretVersion(ref, n, value.getBytes(StandardCharsets.UTF_8), Instant.now(), "test");
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
