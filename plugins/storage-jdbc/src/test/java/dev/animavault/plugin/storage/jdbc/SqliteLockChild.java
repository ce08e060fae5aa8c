package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The child process of {@link JdbcReadCacheLockTest}: opens the SQLite store (default settings, so with
 * the read cache and its lock) in the given data directory.
 * <ul>
 * <li>{@code hold <dir>}: prints {@code ready} once open, or {@code refused <message>}; then keeps the
 *     backend open until its standard input ends, closes it and exits 0.</li>
 * <li>{@code try <dir>}: prints {@code opened} (and closes it) or {@code refused <message>}, exits 0.</li>
 * </ul>
 */
public final class SqliteLockChild {

    private SqliteLockChild() {
    }

    public static void main(String[] args) throws IOException {
        String mode = args[0];
        Path dataDir = Path.of(args[1]);
        StorageBackend backend;
        try {
            backend = new JdbcStorageBackendFactory().create(ProviderConfig.empty("jdbc"),
                    TestPluginContext.denyingEgress(dataDir));
        } catch (VaultException e) {
            System.out.println("refused " + e.errorCode() + " " + e.getMessage().replace('\n', ' '));
            System.out.flush();
            return;
        }
        if (mode.equals("try")) {
            backend.close();
            System.out.println("opened");
            System.out.flush();
            return;
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold the backend until the parent closes our standard input
        }
        backend.close();
    }
}
