package dev.animavault.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Startup of a whole node whose root key file was deleted after the keyring was created. */
class RootKeyStartupTest {
    @TempDir
    Path tmp;

    @Test
    void aDeletedRootKeyFileStopsStartupWithoutWritingANewOne() throws Exception {
        Path keyFile = tmp.resolve("data").resolve("root.key");
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(200, vault.get("/v1/identities", TestVault.OWNER_TOKEN).status());
        }
        assertTrue(Files.exists(keyFile));
        Files.delete(keyFile);

        VaultException e = assertThrows(VaultException.class, () -> TestVault.start(tmp).close());
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("restore the key file"), e.getMessage());
        assertFalse(Files.exists(keyFile), "startup must not create a new, useless root key");
    }
}
