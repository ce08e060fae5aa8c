package dev.animavault.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.VaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Startup refuses an unusable audit destination at once, with a message that says why (issue 10, item 9). */
class AuditStartupTest {
    @TempDir
    Path tmp;

    @Test
    void aDeviceAsAuditPathStopsStartupAtOnce() {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "needs /dev/full (Linux)");
        VaultException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(VaultException.class,
                () -> TestVault.start(tmp, b -> b.audit(List.of(new ProviderSpec("file", Map.of("path", "/dev/full")))))
                        .close()));
        assertTrue(e.getMessage().contains("/dev/full is not a regular file"), e.getMessage());
    }

    @Test
    void anAuditFileSystemBelowTheReserveStopsStartup() throws Exception {
        long usable = Files.getFileStore(tmp).getUsableSpace();
        VaultException e = assertThrows(VaultException.class, () -> TestVault.start(tmp, b -> b.audit(List.of(
                new ProviderSpec("file", Map.of("min-free-space", Long.toString(usable + (1L << 40))))))).close());
        assertTrue(e.getMessage().contains("failed its startup probe") && e.getMessage().contains("reserve"),
                e.getMessage());
    }
}
