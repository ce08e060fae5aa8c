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
