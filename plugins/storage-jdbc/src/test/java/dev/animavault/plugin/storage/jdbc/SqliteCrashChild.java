package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * The child process of {@link JdbcCrashDurabilityTest}: opens the SQLite store in the given data
 * directory, then writes {@code <prefix>-t<t>-r0, ...-r1, ...} forever from {@code writers} concurrent
 * threads (so writes are group-committed), printing {@code ok <t> <n>} after each write returned: even
 * {@code n} a record ({@code putRecord}, namespace {@code crash}), odd {@code n} a secret of identity
 * {@link #IDENTITY} ({@code createSecret}: the writer's kept statements, see {@link WriterStatements}).
 * The parent kills it with SIGKILL at some point.
 *
 * <p>Arguments: data directory, {@code sqlite-synchronous}, writers, key prefix.
 */
public final class SqliteCrashChild {

    static final String ORG = "crash_org";
    static final String IDENTITY = "crash_agent";
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

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
        try {
            backend.createIdentity(new Identity(ORG, IDENTITY, "crash", Map.of(), false, AT, AT, 0));
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                throw e; // a later round: created by the first
            }
        }
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
                    String key = SqliteCrashChild.key(prefix, id, n);
                    if (n % 2 == 0) {
                        backend.putRecord("crash", key, value(prefix, id, n), 0);
                    } else {
                        SecretRef ref = secret(key);
                        backend.createSecret(new SecretMetadata(ref, "password", 1, Map.of(), Map.of(), AT, AT, 0),
                                new SecretVersion(ref, 1, value(prefix, id, n), AT, "crash"));
                    }
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

    /** The secret an odd-numbered write creates. */
    static SecretRef secret(String key) {
        return new SecretRef(ORG, IDENTITY, key);
    }

    static String key(String prefix, int writer, long n) {
        return prefix + "-t" + writer + "-r" + n;
    }

    static byte[] value(String prefix, int writer, long n) {
        return ("value-" + prefix + "-" + writer + "-" + n).getBytes(StandardCharsets.UTF_8);
    }
}
