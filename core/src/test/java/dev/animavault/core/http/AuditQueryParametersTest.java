package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit query's documented {@code organizationId} parameter: only the caller's own organization. */
class AuditQueryParametersTest {
    @TempDir
    Path tmp;

    @Test
    void organizationIdMayOnlyNameTheCallersOwnOrganization() {
        try (TestVault vault = TestVault.start(tmp)) {
            Response own = vault.get("/v1/vault/audit/logs?organizationId=default", TestVault.OWNER_TOKEN);
            assertEquals(200, own.status(), own.body());
            Response other = vault.get("/v1/vault/audit/logs?organizationId=someone_else", TestVault.OWNER_TOKEN);
            assertEquals(403, other.status(), other.body());
            assertEquals("permission_denied", other.code());
        }
    }
}
