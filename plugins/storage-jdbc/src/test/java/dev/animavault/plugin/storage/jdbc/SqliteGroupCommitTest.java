package dev.animavault.plugin.storage.jdbc;

import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.WAIT_SECONDS;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.failure;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.holdOpen;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import dev.animavault.plugin.storage.jdbc.GroupCommitFixture.HeldTransaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit of SQLite writes ({@link SqliteGroupCommit}) through the real backend: writers that
 * queue while a transaction is open are committed together in the next one, and each keeps its own
 * outcome: a failed revision check or an operation that throws after writing is rolled back to its
 * savepoint without taking the others with it.
 */
class SqliteGroupCommitTest {

    @TempDir
    Path dataDir;

    private JdbcStorageBackend open(Map<String, String> properties) {
        return GroupCommitFixture.open(dataDir, properties);
    }

    @Test
    void waitingWritersShareOneCommitEachWithItsOwnOutcome() throws Exception {
        try (JdbcStorageBackend b = open(Map.of())) {
            SqliteGroupCommit gc = b.groupCommit();
            b.putRecord("gc", "existing", new byte[] {9}, 0);
            long[] before = gc.statistics();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                // a first transaction stays open until released: everything written meanwhile queues
                HeldTransaction first = holdOpen(gc, pool, h -> h.execute(
                        "INSERT INTO records (namespace, record_key, value, revision, updated_at) "
                                + "VALUES ('gc', 'first', x'01', 1, 0)"));

                int writers = 20;
                List<Future<StoredRecord>> own = new ArrayList<>();
                for (int i = 0; i < writers; i++) {
                    int n = i;
                    own.add(pool.submit(() -> b.putRecord("gc", "own-" + n, new byte[] {(byte) n}, 0)));
                }
                List<Future<StoredRecord>> racing = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    int n = i;
                    racing.add(pool.submit(() -> b.putRecord("gc", "shared", new byte[] {(byte) n}, 0)));
                }
                Future<StoredRecord> stale = pool.submit(() -> b.putRecord("gc", "existing", new byte[] {1}, 7));
                Future<StoredRecord> missing = pool.submit(() -> b.putRecord("gc", "missing", new byte[] {1}, 3));
                // an operation that writes and then fails: its row must not survive, the batch must
                Future<Object> throwsAfterWriting = pool.submit(() -> gc.run(h -> {
                    h.execute("INSERT INTO records (namespace, record_key, value, revision, updated_at) "
                            + "VALUES ('gc', 'rolled-back', x'02', 1, 0)");
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "refused after writing");
                }, 30_000));
                int queued = writers + 5 + 3;
                waitFor(() -> gc.queued() == queued, "all writers queued behind the open transaction");
                assertFalse(own.get(0).isDone(), "nothing returns before its commit");
                first.release();

                assertNull(first.get());
                for (int i = 0; i < writers; i++) {
                    assertEquals(1, own.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS).revision());
                }
                int won = 0;
                for (Future<StoredRecord> f : racing) {
                    try {
                        assertEquals(1, f.get(WAIT_SECONDS, TimeUnit.SECONDS).revision());
                        won++;
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertEquals(ErrorCode.ALREADY_EXISTS, assertInstanceOf(VaultException.class, e.getCause()).errorCode());
                    }
                }
                assertEquals(1, won, "exactly one of the racing creates wins");
                assertEquals(ErrorCode.REVISION_CONFLICT, failure(stale).errorCode());
                assertEquals(ErrorCode.NOT_FOUND, failure(missing).errorCode());
                assertEquals(ErrorCode.INVALID_ARGUMENT, failure(throwsAfterWriting).errorCode());

                long[] after = gc.statistics();
                assertEquals(2, after[0] - before[0], "the open transaction, then one for all that queued");
                assertEquals(queued + 1, after[1] - before[1]);
                assertEquals(queued, after[2], "the queued writers went into one transaction");
            } finally {
                pool.shutdownNow();
            }
        }
        // what the callers were told holds after a reopen (the read cache is gone with the process's backend)
        try (JdbcStorageBackend reopened = open(Map.of("read-cache", "off"))) {
            assertTrue(reopened.getRecord("gc", "first").isPresent());
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(new byte[] {(byte) i}, reopened.getRecord("gc", "own-" + i).orElseThrow().value());
            }
            assertTrue(reopened.getRecord("gc", "shared").isPresent());
            assertEquals(1, reopened.getRecord("gc", "existing").orElseThrow().revision(), "the stale update changed nothing");
            assertTrue(reopened.getRecord("gc", "missing").isEmpty());
            assertTrue(reopened.getRecord("gc", "rolled-back").isEmpty(), "rolled back to its savepoint");
        }
    }

    @Test
    void aWriterQueuedBeyondTheTimeoutGivesUpWithoutRunning() throws Exception {
        try (JdbcStorageBackend b = open(Map.of("connection-timeout", "300ms"))) {
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                HeldTransaction first = holdOpen(gc, pool, h -> { });
                VaultException e = assertThrows(VaultException.class, () -> b.putRecord("gc", "late", new byte[] {1}, 0));
                assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode(), e.getMessage());
                assertEquals(0, gc.queued(), "the timed-out write left the queue");
                first.release();
                first.get();
                assertTrue(b.getRecord("gc", "late").isEmpty(), "the timed-out write never ran");
                assertEquals(1, b.putRecord("gc", "late", new byte[] {1}, 0).revision());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Virtual writers queued behind the head of the queue wait without timers of their own (the head's stands
     * for theirs): every one of them still gives up at the timeout, one after the other, and none runs.
     */
    @Test
    void virtualWritersQueuedBehindTheHeadAllGiveUpAtTheTimeout() throws Exception {
        try (JdbcStorageBackend b = open(Map.of("connection-timeout", "300ms"))) {
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                HeldTransaction first = holdOpen(gc, pool, h -> { });
                List<Future<?>> late = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    String key = "late" + i;
                    late.add(pool.submit(() -> b.putRecord("gc", key, new byte[] {1}, 0)));
                }
                for (Future<?> f : late) {
                    assertEquals(ErrorCode.STORAGE_UNAVAILABLE, failure(f).errorCode());
                }
                assertEquals(0, gc.queued(), "every timed-out write left the queue");
                first.release();
                first.get();
                for (int i = 0; i < 6; i++) {
                    assertTrue(b.getRecord("gc", "late" + i).isEmpty(), "a timed-out write never ran");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * A writer with a shorter timeout queued behind one with a longer timeout (its deadline comes first, so the
     * head's timer cannot stand for it) gives up at its own timeout.
     */
    @Test
    void aWriterWithAnEarlierDeadlineThanTheHeadGivesUpAtItsOwn() throws Exception {
        try (JdbcStorageBackend b = open(Map.of("connection-timeout", "300ms"))) {
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                HeldTransaction first = holdOpen(gc, pool, h -> { });
                Future<?> patient = pool.submit(() -> gc.run(h -> h.execute("INSERT INTO "
                        + "records (namespace, record_key, value, revision, updated_at) VALUES ('gc', 'patient', "
                        + "x'01', 1, 0)"), 60_000));
                waitFor(() -> gc.queued() == 1, "the patient writer queued");
                Future<?> hasty = pool.submit(() -> b.putRecord("gc", "hasty", new byte[] {1}, 0));
                assertEquals(ErrorCode.STORAGE_UNAVAILABLE, failure(hasty).errorCode());
                assertEquals(1, gc.queued(), "only the patient writer is still queued");
                first.release();
                first.get();
                patient.get(WAIT_SECONDS, TimeUnit.SECONDS);
                assertTrue(b.getRecord("gc", "patient").isPresent(), "the patient writer committed");
                assertTrue(b.getRecord("gc", "hasty").isEmpty(), "the timed-out write never ran");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * A queued caller that is interrupted leaves the queue with {@link InterruptedException} and its operation
     * never runs; one interrupted after its operation was taken waits for the commit and keeps its flag.
     */
    @Test
    void anInterruptedQueuedWriterLeavesWithoutRunning() throws Exception {
        try (JdbcStorageBackend b = open(Map.of())) {
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                HeldTransaction first = holdOpen(gc, pool, h -> { });
                Throwable[] thrown = new Throwable[1];
                Thread queued = Thread.ofVirtual().start(() -> {
                    try {
                        gc.run(h -> h.execute("INSERT INTO records (namespace, record_key, value, revision, "
                                + "updated_at) VALUES ('gc', 'interrupted', x'01', 1, 0)"), 30_000);
                    } catch (Throwable e) {
                        thrown[0] = e;
                    }
                });
                waitFor(() -> gc.queued() == 1, "the writer queued");
                queued.interrupt();
                assertTrue(queued.join(java.time.Duration.ofSeconds(WAIT_SECONDS)));
                assertInstanceOf(InterruptedException.class, thrown[0]);
                assertEquals(0, gc.queued(), "the interrupted writer left the queue");

                // interrupted once its operation runs: it waits for the commit and keeps the flag
                java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                boolean[] flagKept = new boolean[1];
                Thread taken = Thread.ofVirtual().start(() -> {
                    try {
                        gc.run(h -> {
                            running.countDown();
                            GroupCommitFixture.await(go);
                            return h.execute("INSERT INTO records (namespace, record_key, value, revision, "
                                    + "updated_at) VALUES ('gc', 'taken', x'01', 1, 0)");
                        }, 30_000);
                        flagKept[0] = Thread.currentThread().isInterrupted();
                    } catch (Throwable e) {
                        thrown[0] = e;
                    }
                });
                first.release();
                first.get();
                assertTrue(running.await(WAIT_SECONDS, TimeUnit.SECONDS));
                taken.interrupt();
                go.countDown();
                assertTrue(taken.join(java.time.Duration.ofSeconds(WAIT_SECONDS)));
                assertTrue(flagKept[0], "the interrupt status was kept");
                assertTrue(b.getRecord("gc", "interrupted").isEmpty(), "the interrupted writer never ran");
                assertTrue(b.getRecord("gc", "taken").isPresent(), "the taken writer committed");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Virtual and platform callers queued behind a running batch are all committed: a platform caller at the
     * head leads the next batch itself (taking the virtual callers' operations too), otherwise the committer.
     */
    @Test
    void platformAndVirtualWritersQueuedTogetherAllCommit() throws Exception {
        try (JdbcStorageBackend b = open(Map.of())) {
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor();
            ExecutorService platform = Executors.newFixedThreadPool(4);
            try {
                for (int round = 0; round < 3; round++) {
                    HeldTransaction first = holdOpen(gc, virtual, h -> { });
                    List<Future<StoredRecord>> writes = new ArrayList<>();
                    for (int i = 0; i < 12; i++) {
                        String key = "mixed-" + round + "-" + i;
                        writes.add((i % 3 == 0 ? platform : virtual).submit(() -> b.putRecord("gc", key, new byte[] {1},
                                0)));
                    }
                    int expected = 12;
                    waitFor(() -> gc.queued() == expected, "the writers queued");
                    first.release();
                    first.get();
                    for (Future<StoredRecord> w : writes) {
                        assertEquals(1, w.get(WAIT_SECONDS, TimeUnit.SECONDS).revision());
                    }
                }
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 12; i++) {
                        assertTrue(b.getRecord("gc", "mixed-" + round + "-" + i).isPresent());
                    }
                }
            } finally {
                virtual.shutdownNow();
                platform.shutdownNow();
            }
        }
    }

    /**
     * SQLite runs as native code, which a virtual thread cannot leave mounted-free: a batch led by a virtual
     * thread runs on the committer's platform thread (the virtual caller parks meanwhile and its carrier
     * serves other requests); a platform caller runs its batch itself.
     */
    @Test
    void aVirtualLeaderHandsItsBatchToAPlatformThread() throws Exception {
        try (JdbcStorageBackend b = open(Map.of())) {
            SqliteGroupCommit gc = b.groupCommit();
            Thread[] ranOn = new Thread[2];
            Thread virtual = Thread.ofVirtual().start(() -> {
                try {
                    gc.run(h -> {
                        ranOn[0] = Thread.currentThread();
                        return h.execute("INSERT INTO records (namespace, record_key, value, revision, updated_at) "
                                + "VALUES ('gc', 'virtual', x'01', 1, 0)");
                    }, 30_000);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(virtual.join(java.time.Duration.ofSeconds(WAIT_SECONDS)));
            assertFalse(ranOn[0].isVirtual(), "the batch ran on " + ranOn[0]);
            assertEquals("sqlite-group-commit", ranOn[0].getName());
            boolean[] generatedKeys = new boolean[1];
            gc.run(h -> {
                ranOn[1] = Thread.currentThread();
                try {
                    generatedKeys[0] = h.getConnection().unwrap(org.sqlite.SQLiteConnection.class)
                            .getConnectionConfig().isGetGeneratedKeys();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            }, 30_000);
            // no SELECT last_insert_rowid() after every INSERT in the writer's turn (nothing reads generated keys)
            assertFalse(generatedKeys[0], "jdbc.get_generated_keys is off on the writing connection");
            assertEquals(Thread.currentThread(), ranOn[1]);
            assertTrue(b.getRecord("gc", "virtual").isPresent(), "the virtual caller's write committed");
        }
    }
}
