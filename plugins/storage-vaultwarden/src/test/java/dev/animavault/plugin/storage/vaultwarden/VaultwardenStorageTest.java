package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.StorageBackendContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The storage contract against the Bitwarden-compatible test server: every test gets a freshly created
 * backend (login, unlock, sync) on one shared account and organization; the contract's random
 * organization ids keep tests apart. Writes are remote round trips, so the concurrency tests use fewer
 * writers and updates than the defaults.
 */
class VaultwardenStorageTest extends StorageBackendContract {
    private static TestVault vault;
    private static Path dataDir;

    @BeforeAll
    static void startServer() throws IOException {
        vault = new TestVault();
        dataDir = Files.createTempDirectory("anima-vw-contract");
    }

    @AfterAll
    static void stopServer() {
        vault.close();
    }

    @Override
    protected StorageBackend newBackend() {
        if (!Files.isDirectory(dataDir)) {
            throw new UncheckedIOException(new IOException("data directory vanished"));
        }
        return vault.backend(dataDir);
    }

    @Override
    protected int concurrentWriters() {
        return 3;
    }

    @Override
    protected int updatesPerWriter() {
        return 15;
    }
}
