package dev.animavault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultConfigLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheShippedDefaultFile() {
        Path shipped = Path.of("..", "config", "anima-vault.yaml").toAbsolutePath().normalize();
        VaultConfig c = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", shipped.toString(),
                "ANIMA_VAULT_HOME", tmp.toString())).load();
        assertEquals(8200, c.port());
        assertEquals(VaultConfig.DEFAULT_MAX_CONNECTIONS, c.maxConnections());
        assertEquals("127.0.0.1", c.host());
        assertEquals("jdbc", c.storage().type());
        assertEquals(List.of("file"), c.audit().stream().map(ProviderSpec::type).toList());
        assertEquals("audit/audit.jsonl", c.audit().get(0).config().get("path"));
        assertEquals(List.of("api_key", "password"), c.credentialTypeIds());
        assertEquals(tmp.resolve("data"), c.dataDir());
        assertEquals(tmp.resolve("plugins"), c.pluginsDir());
        assertEquals(tmp.resolve("data").resolve("root.key"), c.rootKeyFile());
    }

    @Test
    void connectionLimitComesFromTheFileOrTheEnvironmentAndIsChecked() throws Exception {
        Path file = tmp.resolve("limits.yaml");
        Files.writeString(file, "server: {max-connections: 200}\n");
        Map<String, String> env = Map.of("ANIMA_VAULT_CONFIG", file.toString(), "ANIMA_VAULT_HOME", tmp.toString());
        assertEquals(200, new VaultConfigLoader(env).load().maxConnections());
        Map<String, String> withEnv = new java.util.HashMap<>(env);
        withEnv.put("ANIMA_VAULT_HTTP_MAX_CONNECTIONS", "50");
        assertEquals(50, new VaultConfigLoader(withEnv).load().maxConnections());
        withEnv.put("ANIMA_VAULT_HTTP_MAX_CONNECTIONS", "0");
        VaultException e = assertThrows(VaultException.class, () -> new VaultConfigLoader(withEnv).load());
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("server.max-connections"), e.getMessage());
    }

    @Test
    void environmentWinsOverTheFile() throws Exception {
        Path file = tmp.resolve("v.yaml");
        Files.writeString(file, """
                server: {port: 9000}
                vault:
                  storage: {type: jdbc, config: {url: "jdbc:postgresql://127.0.0.1:5432/av", username: av, password: "${env:AV_DB_PASSWORD}"}}
                  audit: [{type: file}]
                  credential-types: [api_key, password]
                  auth: {token-cache-ttl: 5s}
                """);
        VaultConfig c = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString(), "ANIMA_VAULT_HTTP_PORT", "9100",
                "ANIMA_VAULT_DATA_DIR", tmp.resolve("d").toString(),
                "ANIMA_VAULT_BOOTSTRAP_TOKEN", "b".repeat(40), "AV_DB_PASSWORD", "pw")).load();
        assertEquals(9100, c.port());
        assertEquals(tmp.resolve("d"), c.dataDir());
        assertEquals("pw", c.storage().config().get("password"));
        assertEquals(List.of("api_key", "password"), c.credentialTypeIds());
        assertEquals(Duration.ofSeconds(5), c.tokenCacheTtl());
        assertTrue(c.bootstrapToken().isPresent());
        assertTrue(c.toString().contains("<masked>") && !c.toString().contains("bbbb"));
    }

    @Test
    void rotationSettingsAndTheDefaultCredentialType() throws Exception {
        Path file = tmp.resolve("rotation.yaml");
        Files.writeString(file, """
                vault:
                  credential-types: [api_key, password]
                  default-credential-type: password
                  rotation: {poll-interval: 250ms, min-interval: 10m, retry-schedule: [1s, 1m], webhook-timeout: 5s,
                             default-grace-period: 2h, enabled: false}
                """);
        VaultConfig c = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load();
        assertEquals("password", c.effectiveDefaultCredentialType());
        assertEquals(Duration.ofMillis(250), c.rotation().pollInterval());
        assertEquals(Duration.ofMinutes(10), c.rotation().minInterval());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofMinutes(1)), c.rotation().retrySchedule());
        assertEquals(3, c.rotation().maxAttempts());
        assertEquals(Duration.ofHours(2), c.rotation().defaultGracePeriod());
        assertEquals(false, c.rotation().enabled());

        Files.writeString(file, "vault:\n  credential-types: [api_key]\n");
        VaultConfig defaults = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load();
        assertEquals("api_key", defaults.effectiveDefaultCredentialType(), "the first enabled type");
        assertEquals(RotationConfig.DEFAULTS, defaults.rotation());

        Files.writeString(file, "vault:\n  credential-types: [api_key]\n  default-credential-type: password\n");
        VaultException notEnabled = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
        assertTrue(notEnabled.getMessage().contains("vault.default-credential-type"), notEnabled.getMessage());

        Files.writeString(file, "vault:\n  rotation: {pol-interval: 1s}\n");
        VaultException typo = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
        assertTrue(typo.getMessage().contains("'vault.rotation.pol-interval'"), typo.getMessage());
    }

    @Test
    void keyringSettings() throws Exception {
        Path file = tmp.resolve("keyring.yaml");
        Files.writeString(file, """
                vault:
                  keyring: {max-key-age: 30d, rotate-at-encryptions: 5000000, reserve-block: 200,
                            refresh-interval: 2s, token-key-grace: 7d, job: {enabled: false, rate: 50, batch: 10}}
                """);
        VaultConfig c = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load();
        assertEquals(new KeyringConfig(Duration.ofDays(30), 5_000_000, 200, Duration.ofSeconds(2), false, 50, 10,
                Duration.ofDays(7)), c.keyring());

        Files.writeString(file, "vault:\n  credential-types: [api_key]\n");
        assertEquals(KeyringConfig.DEFAULTS, new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load()
                .keyring());

        for (String bad : List.of("keyring: {rotate-at-encryptions: 4294967296}", "keyring: {job: {rat: 5}}",
                "keyring: {max-age: 1d}")) {
            Files.writeString(file, "vault:\n  " + bad + "\n");
            VaultException e = assertThrows(VaultException.class,
                    () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
            assertTrue(e.getMessage().contains("vault.keyring."), bad + ": " + e.getMessage());
        }
    }

    @Test
    void mistakesNameTheKey() throws Exception {
        Path file = tmp.resolve("v.yaml");
        Files.writeString(file, "vault:\n  storag: {type: jdbc}\n");
        VaultException e = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("'vault.storag'"), e.getMessage());

        VaultException shortToken = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_BOOTSTRAP_TOKEN", "short", "ANIMA_VAULT_HOME",
                        tmp.toString())).load());
        assertTrue(shortToken.getMessage().contains("at least 32"), shortToken.getMessage());

        VaultException port = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_HTTP_PORT", "eighty", "ANIMA_VAULT_HOME",
                        tmp.toString())).load());
        assertTrue(port.getMessage().contains("eighty"), port.getMessage());

        Files.writeString(file, "vault:\n  storage: {type: jdbc, config: {password: '${env:NOT_SET_ANYWHERE}'}}\n");
        VaultException unset = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
        assertTrue(unset.getMessage().contains("NOT_SET_ANYWHERE") && unset.getMessage().contains("vault.storage.config.password"),
                unset.getMessage());

        for (String timeout : new String[] {"0s", "2h"}) {
            Files.writeString(file, "vault:\n  limits: {audit-timeout: " + timeout + "}\n");
            VaultException badTimeout = assertThrows(VaultException.class,
                    () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
            assertTrue(badTimeout.getMessage().contains("vault.limits.audit-timeout"), badTimeout.getMessage());
        }

        VaultException missing = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", tmp.resolve("none.yaml").toString())).load());
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    @Test
    void maxTokenTtlDefaultsToAYearAndIsBounded() throws Exception {
        Path shipped = Path.of("..", "config", "anima-vault.yaml").toAbsolutePath().normalize();
        assertEquals(Duration.ofDays(365), new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", shipped.toString(),
                "ANIMA_VAULT_HOME", tmp.toString())).load().maxTokenTtl());
        Path file = tmp.resolve("ttl.yaml");
        Files.writeString(file, "vault:\n  auth: {max-token-ttl: 30d}\n");
        assertEquals(Duration.ofDays(30), new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString(),
                "ANIMA_VAULT_HOME", tmp.toString())).load().maxTokenTtl());
        Files.writeString(file, "vault:\n  auth: {max-token-ttl: 0s}\n");
        VaultException e = assertThrows(VaultException.class, () -> new VaultConfigLoader(Map.of(
                "ANIMA_VAULT_CONFIG", file.toString(), "ANIMA_VAULT_HOME", tmp.toString())).load());
        assertTrue(e.getMessage().contains("vault.auth.max-token-ttl"), e.getMessage());
    }

    @Test
    void credentialTypesTakeAConfigBlockOrAPlainId() throws Exception {
        Path file = tmp.resolve("types.yaml");
        Files.writeString(file, """
                vault:
                  credential-types:
                    - api_key
                    - type: password
                      config: {min-length: "12"}
                """);
        VaultConfig c = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString(),
                "ANIMA_VAULT_HOME", tmp.toString())).load();
        assertEquals(List.of("api_key", "password"), c.credentialTypeIds());
        assertEquals(Map.of(), c.credentialTypes().get(0).config());
        assertEquals(Map.of("min-length", "12"), c.credentialTypes().get(1).config());

        Files.writeString(file, "vault:\n  credential-types: [{type: api_key, confg: {}}]\n");
        VaultException e = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
        assertTrue(e.getMessage().contains("vault.credential-types[0].confg"), e.getMessage());

        Files.writeString(file, "vault:\n  credential-types: [api_key, {type: api_key}]\n");
        VaultException twice = assertThrows(VaultException.class,
                () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load());
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
    }
}
