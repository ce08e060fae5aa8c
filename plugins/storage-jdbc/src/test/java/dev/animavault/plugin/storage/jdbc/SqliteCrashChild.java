package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The child process of {@link JdbcCrashDurabilityTest}: opens the SQLite store in the given data
 * directory, then writes records {@code crash/0, crash/1, ...} forever, printing {@code ok <n>} after
 * each {@code putRecord} returned. The parent kills it with SIGKILL at some point.
 */
public final class SqliteCrashChild {

    private SqliteCrashChild() {
    }

    public static void main(String[] args) {
        Path dataDir = Path.of(args[0]);
        String synchronous = args[1];
        StorageBackend backend = new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", Map.of("sqlite-synchronous", synchronous), Set.of()),
                TestPluginContext.denyingEgress(dataDir));
        System.out.println("ready");
        System.out.flush();
        for (long n = 0; ; n++) {
            backend.putRecord("crash", "r" + n, ("value-" + n).getBytes(StandardCharsets.UTF_8), 0);
            System.out.println("ok " + n);
            System.out.flush();
        }
    }
}
