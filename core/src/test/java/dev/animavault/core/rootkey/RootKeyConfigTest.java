package dev.animavault.core.rootkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.config.VaultConfigLoader;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vault.root-key}: type and config from the file or the environment; the passphrase's first line. */
class RootKeyConfigTest {
    @TempDir
    Path tmp;

    @Test
    void typeAndConfigComeFromTheFileOrTheEnvironment() throws Exception {
        Path file = tmp.resolve("v.yaml");
        Files.writeString(file, """
                vault:
                  root-key:
                    type: passphrase
                    config: {passphrase-file: /run/secrets/pp, memory-kib: "131072"}
                """);
        Map<String, String> env = new HashMap<>(Map.of("ANIMA_VAULT_CONFIG", file.toString(), "ANIMA_VAULT_HOME",
                tmp.toString()));
        VaultConfig c = new VaultConfigLoader(env).load();
        assertEquals("passphrase", c.rootKey().type());
        assertEquals(Map.of("passphrase-file", "/run/secrets/pp", "memory-kib", "131072"), c.rootKey().config());
        env.put("ANIMA_VAULT_ROOT_KEY_TYPE", "env");
        assertEquals("env", new VaultConfigLoader(env).load().rootKey().type());

        Path old = tmp.resolve("old.yaml");
        Files.writeString(old, "vault: {root-key: {file: my.key}}\n");
        VaultConfig today = new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", old.toString(), "ANIMA_VAULT_HOME",
                tmp.toString())).load();
        assertEquals("file", today.rootKey().type(), "today's configuration keeps working as file");
        assertEquals(tmp.resolve("data").resolve("my.key"), today.rootKeyFile());

        Path typo = tmp.resolve("typo.yaml");
        Files.writeString(typo, "vault: {root-key: {tpye: env}}\n");
        VaultException e = assertThrows(VaultException.class, () -> new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG",
                typo.toString(), "ANIMA_VAULT_HOME", tmp.toString())).load());
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("tpye"), e.getMessage());
    }

    @Test
    void thePassphraseIsTheFirstLine() {
        assertArrayEquals("pässphrase one".toCharArray(),
                BuiltInRootKeyProviders.firstLine("pässphrase one\r\nrest".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals("x".toCharArray(), BuiltInRootKeyProviders.firstLine("x".getBytes(StandardCharsets.UTF_8)));
    }
}
