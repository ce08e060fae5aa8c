package dev.animavault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.VaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vault.admin}: defaults, every key read, typos and bad values named. */
class AdminConfigTest {
    @TempDir
    Path tmp;

    private VaultConfig load(String yaml) throws Exception {
        Path file = tmp.resolve("admin.yaml");
        Files.writeString(file, yaml);
        return new VaultConfigLoader(Map.of("ANIMA_VAULT_CONFIG", file.toString())).load();
    }

    @Test
    void defaultsRequireMfaWithOwaspArgon2() throws Exception {
        AdminConfig a = load("vault:\n  credential-types: [api_key]\n").admin();
        assertEquals(AdminConfig.DEFAULTS, a);
        assertTrue(a.mfaRequired());
        assertEquals(19 * 1024, a.argon2MemoryKib());
        assertEquals(2, a.argon2Iterations());
        assertEquals(1, a.argon2Parallelism());
        assertEquals(20, a.mfaFailuresToLock());
    }

    @Test
    void everyKeyIsReadAndMistakesNameTheKey() throws Exception {
        AdminConfig a = load("""
                vault:
                  admin:
                    mfa-required: false
                    session-idle-timeout: 5m
                    session-max-age: 1h
                    sensitive-mfa-max-age: 2m
                    challenge-ttl: 1m
                    argon2: {memory-kib: 65536, iterations: 3, parallelism: 2}
                    max-concurrent-hashes: 3
                    hash-queue-wait: 1s
                    hash-cpu-share: 0.25
                    account-failures-before-delay: 3
                    address-failures-before-delay: 30
                    max-lockout: 1h
                    mfa-lock-threshold: 10
                    mfa-lock-duration: 30m
                """).admin();
        assertEquals(new AdminConfig(false, Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(2),
                Duration.ofMinutes(1), 65536, 3, 2, 3, Duration.ofSeconds(1), 0.25, 3, 30, Duration.ofHours(1), 10,
                Duration.ofMinutes(30)), a);
        VaultException typo = assertThrows(VaultException.class, () -> load("vault:\n  admin: {mfa-requird: false}\n"));
        assertTrue(typo.getMessage().contains("'vault.admin.mfa-requird'"), typo.getMessage());
        VaultException argon = assertThrows(VaultException.class, () -> load("vault:\n  admin: {argon2: {memory: 1}}\n"));
        assertTrue(argon.getMessage().contains("'vault.admin.argon2.memory'"), argon.getMessage());
        VaultException share = assertThrows(VaultException.class, () -> load("vault:\n  admin: {hash-cpu-share: 0}\n"));
        assertTrue(share.getMessage().contains("hash-cpu-share"), share.getMessage());
        VaultException idle = assertThrows(VaultException.class,
                () -> load("vault:\n  admin: {session-idle-timeout: 9h}\n"));
        assertTrue(idle.getMessage().contains("session-idle-timeout"), idle.getMessage());
    }
}
