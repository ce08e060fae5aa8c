package dev.animavault.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.core.TestVault;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bootstrap with ANIMA_VAULT_BOOTSTRAP_TOKEN, including recovery from a crash in the middle of it. */
class BootstrapTest {
    @TempDir
    Path tmp;

    @Test
    void aBootstrapInterruptedAfterCreatingTheOrganizationCompletesOnTheNextStart() {
        try (TestVault vault = TestVault.start(tmp, b -> b.bootstrapToken(null))) {
            // what a crash between the two bootstrap writes leaves behind: the organization, no key
            vault.node().storage().putRecord(Organizations.NAMESPACE, "default",
                    "{\"id\":\"default\",\"name\":\"default\",\"createdAt\":\"2026-01-01T00:00:00Z\"}"
                            .getBytes(StandardCharsets.UTF_8), 0);
            assertEquals(401, vault.get("/v1/identities", TestVault.OWNER_TOKEN).status());
        }
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(200, vault.get("/v1/identities", TestVault.OWNER_TOKEN).status());
        }
        // once the organization has a key, another bootstrap token is not registered
        try (TestVault vault = TestVault.start(tmp, b -> b.bootstrapToken("another-token-0123456789abcdefghijklmnop"))) {
            assertEquals(401, vault.get("/v1/identities", "another-token-0123456789abcdefghijklmnop").status());
            assertEquals(200, vault.get("/v1/identities", TestVault.OWNER_TOKEN).status());
        }
    }
}
