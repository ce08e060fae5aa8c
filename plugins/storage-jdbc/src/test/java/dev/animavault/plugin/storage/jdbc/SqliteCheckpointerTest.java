package dev.animavault.plugin.storage.jdbc;

import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The background WAL checkpoint of SQLite ({@link SqliteCheckpointer}) through the real backend: after enough
 * committed writes its own connection copies the WAL into the database (while the writer's auto-checkpoint, at its
 * larger interval, has not fired yet), a close stops it before the final close (which still checkpoints and removes
 * the WAL), and a failing checkpoint fails no write.
 */
class SqliteCheckpointerTest {

    @TempDir
    Path dataDir;

    @Test
    void afterManyWritesTheBackgroundConnectionCopiesTheWalIntoTheDatabase() throws Exception {
        Path db = dataDir.resolve("anima-vault.db");
        Path wal = dataDir.resolve("anima-vault.db-wal");
        int writes = SqliteCheckpointer.OPERATIONS_PER_PASS + 20;
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            SqliteCheckpointer cp = b.checkpointer();
            // the schema and every write so far are in the WAL only: nothing has been checkpointed yet
            long dbBefore = Files.size(db);
            assertFalse(cp.running(), "no checkpoint thread before the writes (none at startup)");
            for (int i = 0; i < SqliteCheckpointer.OPERATIONS_PER_PASS - 1; i++) {
                b.putRecord("cp", "k" + i, new byte[] {(byte) i}, 0);
            }
            assertArrayEquals(new long[] {0, 0, 0, 0}, cp.statistics(), "no signal before the threshold");
            assertEquals(dbBefore, Files.size(db), "nothing checkpointed yet");
            for (int i = SqliteCheckpointer.OPERATIONS_PER_PASS - 1; i < writes; i++) {
                b.putRecord("cp", "k" + i, new byte[] {(byte) i}, 0);
            }
            waitFor(() -> cp.statistics()[0] >= 1, "a background checkpoint pass");
            long[] s = cp.statistics();
            assertEquals(0, s[1], "no failure");
            assertTrue(s[2] > 0 && s[3] > 0, "the pass copied WAL frames: " + s[2] + " / " + s[3]);
            // the writer's own auto-checkpoint fires only at its larger interval: this copy was the background's
            assertTrue(s[2] < JdbcStorageBackendFactory.WRITER_CHECKPOINT_PAGES, "the WAL is below the fallback");
            assertTrue(Files.size(db) > dbBefore, "the database file received the checkpointed pages");
            assertTrue(cp.running());
            assertTrue(b.getRecord("cp", "k0").isPresent() && b.getRecord("cp", "k" + (writes - 1)).isPresent());
        }
        assertFalse(Files.exists(wal), "a clean close still checkpoints and removes the WAL");
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            for (int i = 0; i < writes; i++) {
                assertTrue(b.getRecord("cp", "k" + i).isPresent(), "every write is there after the reopen");
            }
        }
    }

    @Test
    void closeStopsTheThreadAndLaterSignalsStartNone() throws Exception {
        JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of());
        SqliteCheckpointer cp = b.checkpointer();
        cp.signal();
        waitFor(() -> cp.statistics()[0] >= 1, "a pass");
        assertTrue(cp.running());
        b.close();
        assertFalse(cp.running(), "close() waits for the thread to end");
        cp.signal();
        assertFalse(cp.running(), "no thread after close");
    }

    @Test
    void aFailingCheckpointIsCountedAndRetriedAtTheNextSignalWithoutThrowing() throws Exception {
        AtomicInteger opens = new AtomicInteger();
        try (SqliteCheckpointer cp = new SqliteCheckpointer(() -> {
            opens.incrementAndGet();
            throw new SQLException("unable to open database file");
        }, "jdbc:sqlite:/nowhere")) {
            cp.committed(0, SqliteCheckpointer.OPERATIONS_PER_PASS - 1);
            assertFalse(cp.running(), "below the threshold: no signal");
            cp.committed(SqliteCheckpointer.OPERATIONS_PER_PASS - 1, SqliteCheckpointer.OPERATIONS_PER_PASS);
            waitFor(() -> cp.statistics()[1] >= 1, "the failure counted");
            assertEquals(0, cp.statistics()[0]);
            cp.signal();
            waitFor(() -> opens.get() >= 2, "the next signal opens anew (after the pause)");
        }
    }
}
