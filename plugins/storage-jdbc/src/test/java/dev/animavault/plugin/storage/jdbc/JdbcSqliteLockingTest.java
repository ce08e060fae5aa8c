package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SQLite locking seen from outside: while another process holds the write lock, reads proceed
 * (WAL) and a write waits {@code busy-timeout}, then fails with {@code STORAGE_UNAVAILABLE}; once the
 * lock is released writes work again.
 */
class JdbcSqliteLockingTest {

    @TempDir
    Path dataDir;

    @Test
    void readsDoNotWaitForAForeignWriterAndWritesTimeOutCleanly() throws Exception {
        try (StorageBackend b = new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", Map.of("busy-timeout", "300ms"), Set.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            b.putRecord("ns", "k", new byte[] {1}, 0);
            String url = "jdbc:sqlite:" + dataDir.resolve("anima-vault.db");
            try (Connection other = DriverManager.getConnection(url); Statement st = other.createStatement()) {
                st.execute("BEGIN IMMEDIATE"); // another process takes the write lock and keeps it
                st.executeUpdate("UPDATE records SET revision = 99 WHERE record_key = 'k'");

                long start = System.nanoTime();
                assertArrayEquals(new byte[] {1}, b.getRecord("ns", "k").orElseThrow().value());
                assertEquals(1, b.listRecords("ns", PageRequest.first(10)).items().get(0).revision(),
                        "readers see the last committed state");
                long readMillis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(readMillis < 250, "reads waited " + readMillis + " ms for a writer");

                VaultException e = assertThrows(VaultException.class, () -> b.putRecord("ns", "k2", new byte[] {2}, 0));
                assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode(), e.getMessage());
                st.execute("ROLLBACK");
            }
            assertEquals(1, b.putRecord("ns", "k2", new byte[] {2}, 0).revision(), "writes work once the lock is free");
        }
    }
}
