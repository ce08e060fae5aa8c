package dev.animavault.core.rootkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.config.ProviderSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migrating the root key from a file to an HSM is a rotation naming the pkcs11 provider: against a
 * SoftHSM2 token made by the pkcs11 plugin's test script in {@code target/softhsm} ({@code SOFTHSM2_CONF} is
 * set by the POM). Skipped without SoftHSM2, except in CI ({@code CI=true}), where it fails.
 */
class Pkcs11MigrationTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

    @TempDir
    Path tmp;

    private static String createToken(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Path script = Path.of("..", "plugins", "rootkey-pkcs11", "src", "test", "scripts", "softhsm-token.sh");
        Process p = new ProcessBuilder("bash", script.toAbsolutePath().normalize().toString(), dir.toString(), "core-test",
                "87654321", "1234").redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "softhsm2-util finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), out);
        return out.lines().reduce((a, b) -> b).orElseThrow();
    }

    @Test
    @Timeout(180)
    void fileToPkcs11AndAnInPlaceRotationInTheHsm() throws Exception {
        if (!Files.isRegularFile(LIBRARY)) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("SoftHSM2 is not installed (apt-get install -y softhsm2)");
            }
            Assumptions.abort("SoftHSM2 is not installed");
        }
        Path hsm = Path.of(System.getenv("SOFTHSM2_CONF")).getParent();
        String slot = createToken(hsm);
        Path pin = hsm.resolve("pin");
        Files.writeString(pin, "1234\n");
        Map<String, String> p11 = Map.of("library", LIBRARY.toString(), "slot", slot, "pin-file", pin.toString(),
                "key-label", "core-test");
        Path root = tmp.resolve("vault");
        String firstP11Key;
        try (TestVault a = TestVault.start(root)) {
            assertEquals(201, a.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, a.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "K", "value", "survives-the-move-to-an-hsm", "type", "api_key"))).status());
            TestVault.Response r = a.post("/v1/sys/root-key/rotate", OWNER, TestVault.json(Map.of("type", "pkcs11",
                    "config", p11)));
            assertEquals(200, r.status(), r.body());
            assertEquals("pkcs11", r.json().get("type").asText());
            firstP11Key = r.json().get("keyId").asText();
            assertFalse(Files.exists(a.dataDir().resolve("root.key")), "the old key file is destroyed");
            assertEquals("survives-the-move-to-an-hsm", a.get("/v1/vault/secrets/agent_1/K", OWNER).json().get("value")
                    .asText());
        }
        // restarted with the pkcs11 provider configured: opens, and rotates in place inside the HSM
        try (TestVault b = TestVault.start(root, x -> x.rootKey(new ProviderSpec("pkcs11", p11)))) {
            assertEquals("survives-the-move-to-an-hsm", b.get("/v1/vault/secrets/agent_1/K", OWNER).json().get("value")
                    .asText());
            TestVault.Response again = b.post("/v1/sys/root-key/rotate", OWNER, null);
            assertEquals(200, again.status(), again.body());
            assertNotEquals(firstP11Key, again.json().get("keyId").asText());
            assertEquals("survives-the-move-to-an-hsm", b.get("/v1/vault/secrets/agent_1/K", OWNER).json().get("value")
                    .asText());
        }
        try (TestVault c = TestVault.start(root, x -> x.rootKey(new ProviderSpec("pkcs11", p11)))) {
            TestVault.Response s = c.get("/v1/sys/root-key", OWNER);
            assertTrue(s.json().get("node").get("opensKeyring").asBoolean(), s.body());
            assertEquals(List.of("survives-the-move-to-an-hsm"), List.of(c.get("/v1/vault/secrets/agent_1/K", OWNER)
                    .json().get("value").asText()));
        }
    }
}
