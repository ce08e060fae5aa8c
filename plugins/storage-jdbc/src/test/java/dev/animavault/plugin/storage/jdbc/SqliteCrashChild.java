package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The child process of {@link JdbcCrashDurabilityTest}: opens the SQLite store in the given data
 * directory, then writes records {@code crash/<prefix>-t<t>-r0, ...-r1, ...} forever from
 * {@code writers} concurrent threads (so writes are group-committed), printing {@code ok <t> <n>} after
 * each {@code putRecord} returned. The parent kills it with SIGKILL at some point.
 *
 * <p>Arguments: data directory, {@code sqlite-synchronous}, writers, key prefix.
 */
public final class SqliteCrashChild {

    private SqliteCrashChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path dataDir = Path.of(args[0]);
        String synchronous = args[1];
        int writers = Integer.parseInt(args[2]);
        String prefix = args[3];
        StorageBackend backend = new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", Map.of("sqlite-synchronous", synchronous), Set.of()),
                TestPluginContext.denyingEgress(dataDir));
        PrintStream out = System.out;
        out.println("ready");
        out.flush();
        Thread[] threads = new Thread[writers];
        for (int t = 0; t < writers; t++) {
            int id = t;
            // half virtual, as the HTTP server's request threads (their batches run on the group commit's
            // platform committer), half platform (they commit their batches themselves)
            Thread.Builder builder = id % 2 == 0 ? Thread.ofVirtual() : Thread.ofPlatform();
            threads[t] = builder.start(() -> {
                for (long n = 0; ; n++) {
                    backend.putRecord("crash", SqliteCrashChild.key(prefix, id, n), value(prefix, id, n), 0);
                    synchronized (out) {
                        out.println("ok " + id + " " + n);
                        out.flush();
                    }
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    static String key(String prefix, int writer, long n) {
        return prefix + "-t" + writer + "-r" + n;
    }

    static byte[] value(String prefix, int writer, long n) {
        return ("value-" + prefix + "-" + writer + "-" + n).getBytes(StandardCharsets.UTF_8);
    }
}
