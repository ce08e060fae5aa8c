package dev.animavault.plugin.storage.jdbc;

import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.WAIT_SECONDS;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.failure;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipelined commit ({@link WalSyncer}): with FULL configured and the read cache on, the writing connection runs
 * NORMAL and the vault syncs the WAL after each batch; no write is answered (success or failure) and no read
 * returns a row before the sync covering it returned. The sync is replaced by one the test holds
 * ({@link WalSyncer#syncAction}); the waits are bounded ({@link GroupCommitFixture#WAIT_SECONDS}), nothing is timed.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SqlitePipelinedCommitTest {

    @TempDir
    Path dataDir;

    /** A sync the test holds: entered once per call, returns when released. */
    private static final class HeldSync implements WalSyncer.SyncAction {
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void sync() {
            calls.incrementAndGet();
            GroupCommitFixture.await(release);
        }
    }

    private static int synchronous(JdbcStorageBackend b) {
        return b.writer().withHandle(h -> h.createQuery("PRAGMA synchronous").mapTo(Integer.class).one());
    }

    @Test
    void pipelinedOnlyWithFullAndTheReadCache() {
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            assertNotNull(b.groupCommit().syncer(), "FULL and the read cache (the defaults): pipelined");
            assertEquals(1, synchronous(b), "the writing connection runs NORMAL");
        }
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of("read-cache", "off"))) {
            assertNull(b.groupCommit().syncer(), "without the lock another process may read: commits sync");
            assertEquals(2, synchronous(b), "FULL");
        }
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of("sqlite-synchronous", "NORMAL"))) {
            assertNull(b.groupCommit().syncer(), "NORMAL configured: no sync per batch");
            assertEquals(1, synchronous(b));
        }
    }

    @Test
    void noWriteIsAnsweredAndNoReadReturnsBeforeTheSyncCoveringIt() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool(); // platform callers: each leads its own batch
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            WalSyncer syncer = b.groupCommit().syncer();
            HeldSync held = new HeldSync();
            syncer.syncAction(held);

            Future<StoredRecord> created = pool.submit(() -> b.putRecord("ns", "k", new byte[] {1}, 0));
            waitFor(() -> held.calls.get() == 1, "the first batch committed and its sync began");
            assertFalse(created.isDone(), "the write is not answered before its sync returned");

            // a read on a reading connection sees the committed row, and waits for its sync before returning it
            Future<Optional<StoredRecord>> read = pool.submit(() -> b.getRecord("ns", "k"));
            waitFor(() -> read.isDone() || syncer.statistics()[2] == 1, "the read finished its query");
            assertFalse(read.isDone(), "a read of a committed but unsynced row waits for the sync");

            // a conditional write that fails on the unsynced row: its answer waits for the sync too
            long batches = b.groupCommit().statistics()[0];
            Future<StoredRecord> duplicate = pool.submit(() -> b.putRecord("ns", "k", new byte[] {2}, 0));
            waitFor(() -> b.groupCommit().statistics()[0] == batches + 1, "the failing write's batch ran");
            assertFalse(duplicate.isDone(), "a failed write is not answered before the sync covering what it saw");
            assertFalse(created.isDone());
            assertFalse(read.isDone());

            held.release.countDown();
            assertEquals(1, created.get(WAIT_SECONDS, TimeUnit.SECONDS).revision());
            assertArrayEquals(new byte[] {1}, read.get(WAIT_SECONDS, TimeUnit.SECONDS).orElseThrow().value());
            assertEquals(ErrorCode.ALREADY_EXISTS, failure(duplicate).errorCode());
            long[] s = syncer.statistics();
            assertEquals(s[3], s[4], "every batch that committed is synced");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void batchesCommittedDuringASyncShareTheNextOneAndAreAnsweredAfterIt() throws Exception {
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of());
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            WalSyncer syncer = b.groupCommit().syncer();
            HeldSync held = new HeldSync();
            syncer.syncAction(held);
            Future<StoredRecord> first = pool.submit(() -> b.putRecord("ns", "first", new byte[] {1}, 0));
            waitFor(() -> held.calls.get() == 1, "the first batch's sync began (on the syncer)");
            long batches = b.groupCommit().statistics()[0];
            List<Future<StoredRecord>> more = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String key = "k" + i;
                more.add(pool.submit(() -> b.putRecord("ns", key, new byte[] {2}, 0)));
            }
            // the writer is not held by the sync: it commits the next batches meanwhile
            waitFor(() -> b.groupCommit().statistics()[1] == 9, "the eight later writes committed");
            assertFalse(first.isDone());
            for (Future<StoredRecord> f : more) {
                assertFalse(f.isDone(), "committed, not synced: not answered");
            }
            assertTrue(b.groupCommit().statistics()[0] > batches);
            held.release.countDown();
            assertEquals(1, first.get(WAIT_SECONDS, TimeUnit.SECONDS).revision());
            for (Future<StoredRecord> f : more) {
                assertEquals(1, f.get(WAIT_SECONDS, TimeUnit.SECONDS).revision());
            }
            long[] s = syncer.statistics();
            assertEquals(s[3], s[4], "every batch that committed is synced");
            assertEquals(2, held.calls.get(), "one sync for every batch committed during the first one");
        }
    }

    @Test
    void theRealSyncSyncsTheWalOncePerBatchFromOneWriter() throws Exception {
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            WalSyncer syncer = b.groupCommit().syncer();
            b.putRecord("ns", "warm", new byte[] {1}, 0);
            Path wal = dataDir.toRealPath().resolve("anima-vault.db-wal");
            assertEquals(wal, syncer.wal().toRealPath(), "the database's WAL");
            long before = syncer.statistics()[0];
            long batchesBefore = b.groupCommit().statistics()[0];
            for (int i = 0; i < 5; i++) {
                b.putRecord("ns", "k" + i, new byte[] {1}, 0);
            }
            assertEquals(5, b.groupCommit().statistics()[0] - batchesBefore);
            assertEquals(5, syncer.statistics()[0] - before, "one fsync per batch");
            assertEquals(wal, syncer.lastSynced().toRealPath());
            // a batch whose only write failed committed nothing: no sync needed, the answer is not held back
            assertThrows(VaultException.class, () -> b.putRecord("ns", "k0", new byte[] {1}, 0));
            assertEquals(5, syncer.statistics()[0] - before);
        }
    }

    @Test
    void aFailedSyncFailsItsWritesAndTheNextSyncCoversThem() throws Exception {
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            WalSyncer syncer = b.groupCommit().syncer();
            b.putRecord("ns", "warm", new byte[] {1}, 0);
            syncer.syncAction(() -> {
                throw new IOException("injected");
            });
            VaultException e = assertThrows(VaultException.class, () -> b.putRecord("ns", "k", new byte[] {1}, 0));
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
            long[] s = syncer.statistics();
            assertTrue(s[4] < s[3], "not marked synced");
            AtomicInteger calls = new AtomicInteger();
            syncer.syncAction(calls::incrementAndGet);
            b.putRecord("ns", "other", new byte[] {1}, 0);
            assertEquals(1, calls.get());
            s = syncer.statistics();
            assertEquals(s[3], s[4], "the next sync covered the failed one's batch");
            assertEquals(1, b.getRecord("ns", "k").orElseThrow().revision(), "it had committed");
        }
    }

    @Test
    void theSyncFallsBackToTheDatabaseWithoutAWal() throws Exception {
        Path db = dataDir.resolve("x.db");
        Files.write(db, new byte[] {1});
        WalSyncer syncer = new WalSyncer(db, 1000, "test");
        syncer.syncNow();
        assertEquals(db, syncer.lastSynced());
        Path wal = dataDir.resolve("x.db-wal");
        Files.write(wal, new byte[] {1});
        syncer.syncNow();
        assertEquals(wal, syncer.lastSynced());
        assertEquals(2, syncer.statistics()[0]);
    }
}
