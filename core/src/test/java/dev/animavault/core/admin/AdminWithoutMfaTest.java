package dev.animavault.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vault.admin.mfa-required=false}: an explicit choice; admins without TOTP get a session from the password. */
class AdminWithoutMfaTest {
    @TempDir
    Path tmp;

    @Test
    void withMfaNotRequiredThePasswordAloneOpensASession() {
        try (TestVault vault = TestVault.start(tmp, b -> b.admin(dev.animavault.core.config.AdminConfig.DEFAULTS
                .withMfaRequired(false).withArgon2(1024, 1, 1).withHashLimit(2, Duration.ofSeconds(5))))) {
            assertEquals(201, vault.post("/v1/admins", TestVault.OWNER_TOKEN, TestVault.json(Map.of("username", "ops",
                    "password", "a long enough passphrase", "role", "admin"))).status());
            JsonNode r = vault.post("/v1/auth/login", null, TestVault.json(Map.of("organizationId", "default",
                    "username", "ops", "password", "a long enough passphrase"))).json();
            assertEquals("session", r.path("next").asText());
            String session = r.path("session").asText();
            assertTrue(session.startsWith("avs_"));
            assertEquals(200, vault.get("/v1/admins", session).status());
        }
    }
}
