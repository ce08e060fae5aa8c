package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.animavault.core.SqlitePluginStorage;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * Shared setup of the integrity tests: the real SQLite storage plugin (loaded from the built plugin zips, its
 * database under the test's temporary folder) without the integrity layer, and a barrier over it with a root
 * key file in the same folder. Open one per test, close it after.
 */
final class SqliteFixture implements AutoCloseable {
    private final SqlitePluginStorage plugin;
    /** The storage plugin as it is, under no integrity layer (what someone with database access can edit). */
    final StorageBackend raw;
    final Barrier barrier;

    SqliteFixture(Path tmp) {
        plugin = new SqlitePluginStorage(tmp);
        raw = plugin.storage;
        barrier = Barrier.open(raw, RootKey.loadOrCreate(tmp.resolve("root.key"), Map.of()), Clock.systemUTC());
    }

    /** Asserts the call is refused with {@code integrity_error}; returns the refusal for further checks. */
    static VaultException refused(Runnable r) {
        VaultException e = assertThrows(VaultException.class, r::run);
        assertEquals(ErrorCode.INTEGRITY_ERROR, e.errorCode(), e.getMessage());
        return e;
    }

    @Override
    public void close() {
        plugin.close();
    }
}
