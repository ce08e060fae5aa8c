package dev.animavault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link VaultConfigLoader} on {@link ConfigTree}: what reaches the plugins and the errors on real files. */
class VaultConfigLoaderTreeTest {
    @TempDir
    Path dir;

    private VaultConfig load(String yaml, Map<String, String> extraEnv) throws Exception {
        Path file = Files.writeString(dir.resolve("anima-vault.yaml"), yaml);
        Map<String, String> env = new java.util.HashMap<>(extraEnv);
        env.put("ANIMA_VAULT_CONFIG", file.toString());
        env.put("ANIMA_VAULT_HOME", dir.toString());
        return new VaultConfigLoader(env).load();
    }

    private VaultException fails(String yaml) {
        VaultException e = assertThrows(VaultException.class, () -> load(yaml, Map.of()));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        return e;
    }

    @Test
    void providerConfigsReachThePluginsFlattenedAsBefore() throws Exception {
        VaultConfig c = load("""
                vault:
                  storage:
                    type: jdbc
                    config:
                      url: jdbc:postgresql://h:5432/db?ssl=true&x=$1
                      password: ${env:DB_PW}
                      pool: {size: 4}
                      hosts: [a, b]
                      enabled: yes
                      user: ${vault.bootstrap.organization-id}
                  bootstrap: {organization-id: acme}
                  credential-types: [api_key, {type: oauth, config: {scopes: "a,b"}}]
                server:
                  trusted-proxies: "10.0.0.0/8,127.0.0.1"
                """, Map.of("DB_PW", "pa$$w${rd"));
        assertEquals(Map.of("url", "jdbc:postgresql://h:5432/db?ssl=true&x=$1", "password", "pa$$w${rd",
                "pool.size", "4", "hosts.0", "a", "hosts.1", "b", "enabled", "true", "user", "acme"),
                c.storage().config());
        assertEquals(List.of(ProviderSpec.of("api_key"), new ProviderSpec("oauth", Map.of("scopes", "a,b"))),
                c.credentialTypes());
    }

    @Test
    void badValuesAreConfigurationErrorsNamingTheKey() {
        assertTrue(fails("vault: {limits: {max-value-bytes: abc}}\n").getMessage()
                .contains("'vault.limits.max-value-bytes'"));
        assertTrue(fails("vault: {keyring: {reserve-block: 1.5}}\n").getMessage().contains("'vault.keyring.reserve-block'"));
        assertTrue(fails("vault: {credential-types: api_key}\n").getMessage().contains("'vault.credential-types'"));
        assertTrue(fails("vault: {storage: {type: jdbc, config: {url: '${vault.storage.config.url}'}}}\n").getMessage()
                .contains("'vault.storage.config.url'"), "a reference cycle");
        assertTrue(fails("- a\n").getMessage().startsWith("cannot read configuration file "));
        assertTrue(fails("vault: [b\n").getMessage().contains("anima-vault.yaml"));
    }

    @Test
    void aSyntaxErrorNamesTheLineButNeverQuotesIt() {
        String message = fails("""
                vault:
                  storage:
                    type: jdbc
                    config:
                      password: s3cr3t-"pa55: word
                """).getMessage();
        assertTrue(message.contains("anima-vault.yaml") && message.contains("line 5"), message);
        assertTrue(!message.contains("s3cr3t") && !message.contains("pa55"), message);
        String tab = fails("vault:\n  storage: {type: jdbc, config: {password: \"s3cr3t\"}\n").getMessage();
        assertTrue(tab.contains("line ") && !tab.contains("s3cr3t"), tab);
    }

    @Test
    void anEmptyFileIsTheDefaults() throws Exception {
        VaultConfig c = load("", Map.of());
        assertEquals("jdbc", c.storage().type());
        assertEquals(8200, c.port());
    }
}
