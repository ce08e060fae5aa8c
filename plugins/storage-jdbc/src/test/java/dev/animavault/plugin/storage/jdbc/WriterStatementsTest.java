package dev.animavault.plugin.storage.jdbc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.WAIT_SECONDS;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.failure;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.holdOpen;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import dev.animavault.plugin.storage.jdbc.GroupCommitFixture.HeldTransaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite writing connection's kept statements ({@link WriterStatements}): prepared once per connection,
 * re-bound on every call, usable again after a failed call, prepared anew on another connection; and the
 * creates and savepoints of a group-commit batch running on them keep every caller's own outcome.
 */
class WriterStatementsTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final String ORG = "org_ws";

    @TempDir
    Path dataDir;

    @Test
    void aStatementIsPreparedOncePerConnectionAndSurvivesAFailedCall() throws Exception {
        String url = "jdbc:sqlite:" + dataDir.resolve("kept.db");
        Jdbi jdbi = Jdbi.create(url);
        WriterStatements kept = new WriterStatements();
        String insert = "INSERT INTO t (k, v) VALUES (?, ?)";
        try (Handle first = jdbi.open(); Handle second = jdbi.open()) {
            first.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)");
            assertEquals(1, kept.update(first, insert, "a", new byte[] {1}));
            assertEquals(1, kept.update(first, insert, "b", null));
            assertEquals(1, kept.kept(), "one statement, bound twice");

            // a failed call (primary key) leaves the statement reset and usable, with nothing of the failed binding
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> kept.update(first, insert, "a", new byte[] {2}));
            assertInstanceOf(SQLException.class, e.getCause());
            assertTrue(!e.getMessage().contains("a'") && !e.getMessage().contains(url), e.getMessage());
            assertEquals(1, kept.update(first, insert, "c", new byte[] {3}));

            // another connection (the pool replaced the writing one): prepared again there
            assertEquals(1, kept.update(second, insert, "d", new byte[] {4}));
            assertEquals(1, kept.kept());
            assertEquals(List.of("a", "b", "c", "d"), second.createQuery("SELECT k FROM t ORDER BY k").mapTo(String.class).list());
            assertEquals(1, kept.update(second, "UPDATE t SET v = ? WHERE k = ?", new byte[] {9}, "a"));
            assertEquals(2, kept.kept());
        }
    }

    /**
     * Creates queued behind an open transaction run as one batch on the kept statements (inserts and savepoints):
     * each keeps its own outcome (created, ALREADY_EXISTS, IDENTITY_NOT_FOUND), the failed ones leave no row,
     * and the next batch reuses the same statements.
     */
    @Test
    void creatorsInOneBatchKeepTheirOwnOutcomeOnKeptStatements() throws Exception {
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of("read-cache", "off"))) {
            b.createIdentity(new Identity(ORG, "agent", "Agent", Map.of(), false, NOW, NOW, 0));
            create(b, "agent", "existing", "v0");
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                HeldTransaction first = holdOpen(gc, pool, h -> { });
                List<Future<?>> fresh = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    int n = i;
                    fresh.add(pool.submit(() -> create(b, "agent", "k" + n, "v" + n)));
                }
                Future<?> duplicate = pool.submit(() -> create(b, "agent", "existing", "other"));
                Future<?> orphan = pool.submit(() -> create(b, "nobody", "k0", "x"));
                waitFor(() -> gc.queued() >= 12, "all creates queued behind the open transaction");
                assertEquals(12, gc.queued(), "all creates queued behind the open transaction");
                long[] before = gc.statistics();
                first.release();
                first.get();
                for (Future<?> f : fresh) {
                    f.get(WAIT_SECONDS, TimeUnit.SECONDS);
                }
                assertEquals(ErrorCode.ALREADY_EXISTS, failure(duplicate).errorCode());
                assertEquals(ErrorCode.IDENTITY_NOT_FOUND, failure(orphan).errorCode());
                long[] after = gc.statistics();
                assertEquals(12, after[2], "the twelve creates shared one transaction");
                assertTrue(after[0] - before[0] <= 2, "the open transaction, then the batch");
            } finally {
                pool.shutdownNow();
            }
            // the one insert (schema V3: the first version inline) and SAVEPOINT / ROLLBACK TO / RELEASE, each
            // prepared once
            assertEquals(4, gc.statements().kept());
            create(b, "agent", "after", "v");
            assertEquals(4, gc.statements().kept(), "the next write reused them");

            for (int i = 0; i < 10; i++) {
                assertEquals("v" + i, value(b, "agent", "k" + i));
            }
            assertEquals("v0", value(b, "agent", "existing"), "the duplicate changed nothing");
            assertEquals(1, b.listVersions(new SecretRef(ORG, "agent", "existing")).size(), "and added no version");
            assertTrue(b.readSecret(new SecretRef(ORG, "nobody", "k0"), OptionalInt.empty()).isEmpty());
        }
    }

    private static Object create(JdbcStorageBackend b, String identity, String key, String value) {
        SecretRef ref = new SecretRef(ORG, identity, key);
        return b.createSecret(new SecretMetadata(ref, "password", 1, Map.of(), Map.of(), NOW, NOW, 0),
                new SecretVersion(ref, 1, value.getBytes(UTF_8), NOW, "test"));
    }

    private static String value(JdbcStorageBackend b, String identity, String key) {
        return new String(b.readSecret(new SecretRef(ORG, identity, key), OptionalInt.empty()).orElseThrow()
                .version().value(), UTF_8);
    }
}
