package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ChangeNotifying;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageChange;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LISTEN/NOTIFY between two backends on one PostgreSQL schema: committed writes are told to the other
 * backend by name; a failed write is not; when the listening connection is killed the subscriber gets
 * ANY (drop everything) and, after the reconnect, changes again.
 */
class JdbcChangeNotificationTest {

    @TempDir
    Path dataDir;
    private String url;

    @BeforeEach
    void schema() {
        url = PostgresTestServer.freshSchemaUrl();
    }

    @AfterEach
    void dropSchema() {
        if (url != null) {
            PostgresTestServer.dropSchema(url);
        }
    }

    private JdbcStorageBackend open() {
        return (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                PostgresTestServer.config(url, Map.of("change-poll-interval", "200ms")),
                TestPluginContext.denyingEgress(dataDir));
    }

    @Test
    void committedWritesReachTheOtherBackendAndALostChannelSaysAny() throws Exception {
        try (JdbcStorageBackend a = open(); JdbcStorageBackend b = open()) {
            assertTrue(b instanceof ChangeNotifying);
            LinkedBlockingQueue<StorageChange> seen = new LinkedBlockingQueue<>();
            b.subscribe(seen::add);
            awaitConnected(b);
            seen.clear();

            Instant now = Instant.now();
            a.createIdentity(new Identity("org1", "agent", "agent", Map.of(), false, now, now, 0));
            assertEquals(StorageChange.identity("org1", "agent"), next(seen));
            SecretRef ref = new SecretRef("org1", "agent", "K y/z");
            a.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of(), Map.of(), now, now, 0),
                    new SecretVersion(ref, 1, "c".getBytes(StandardCharsets.UTF_8), now, "test"));
            assertEquals(StorageChange.secret(ref), next(seen));
            a.putRecord("tokens", "tok1", new byte[] {1}, 0);
            assertEquals(StorageChange.record("tokens", "tok1"), next(seen));
            // a write that fails commits nothing and tells nothing
            assertThrows(VaultException.class, () -> a.putRecord("tokens", "tok1", new byte[] {2}, 99));
            a.deleteRecord("tokens", "tok1", 1);
            assertEquals(StorageChange.record("tokens", "tok1"), next(seen), "the failed write sent nothing");

            // the listening connection dies: ANY at once, then changes flow again after the reconnect
            int pid = b.changeChannel().backendPid();
            try (Connection c = DriverManager.getConnection(PostgresTestServer.get().url(),
                    PostgresTestServer.get().user(), PostgresTestServer.get().password());
                 Statement st = c.createStatement()) {
                st.execute("SELECT pg_terminate_backend(" + pid + ")");
            }
            StorageChange afterKill = next(seen);
            assertEquals(StorageChange.Kind.ANY, afterKill.kind());
            awaitConnected(b);
            assertTrue(b.changeChannel().backendPid() != pid);
            seen.clear();
            a.putRecord("tokens", "tok2", new byte[] {1}, 0);
            StorageChange c;
            do {
                c = next(seen);
            } while (c.kind() == StorageChange.Kind.ANY); // the reconnect's own ANY may come first
            assertEquals(StorageChange.record("tokens", "tok2"), c);
        }
    }

    private static StorageChange next(LinkedBlockingQueue<StorageChange> q) throws InterruptedException {
        StorageChange c = q.poll(5, TimeUnit.SECONDS);
        assertNotNull(c, "a change within 5 s");
        return c;
    }

    private static void awaitConnected(JdbcStorageBackend b) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.changeChannel().backendPid() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(b.changeChannel().backendPid() != 0, "listening");
        Thread.sleep(100); // LISTEN has been executed before the pid is published
    }
}
