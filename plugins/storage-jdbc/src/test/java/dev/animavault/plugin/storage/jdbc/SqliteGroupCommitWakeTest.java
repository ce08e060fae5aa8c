package dev.animavault.plugin.storage.jdbc;

import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.WAIT_SECONDS;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.holdOpen;
import static dev.animavault.plugin.storage.jdbc.GroupCommitFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.plugin.storage.jdbc.GroupCommitFixture.HeldTransaction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link SqliteGroupCommit} wakes the callers of a batch: the leader wakes the first, each woken caller the
 * next ones of the batch (a tree over the batch's positions). Every caller must return, whatever its position,
 * its thread (virtual or platform), and whether it was interrupted while its operation ran or others of its batch
 * gave up while queued.
 */
class SqliteGroupCommitWakeTest {

    @TempDir
    Path dataDir;

    private static String insert(String key) {
        return "INSERT INTO records (namespace, record_key, value, revision, updated_at) VALUES ('wake', '" + key
                + "', x'01', 1, 0)";
    }

    /**
     * A batch of 200 callers (every 7th on a platform thread, so platform callers sit at inner positions of the
     * tree and wake virtual ones) all return with their own results, in one transaction.
     */
    @Test
    void everyCallerOfALargeBatchReturns() throws Exception {
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                long[] before = gc.statistics();
                HeldTransaction first = holdOpen(gc, pool, h -> { });
                int callers = 200;
                AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(callers);
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    int n = i;
                    Runnable call = () -> {
                        try {
                            results.set(n, gc.run(h -> h.execute(insert("k" + n)) * 1000 + n, 30_000));
                        } catch (Throwable e) {
                            results.set(n, e);
                        }
                    };
                    threads.add(n % 7 == 3 ? Thread.ofPlatform().start(call) : Thread.ofVirtual().start(call));
                    int queued = i + 1;
                    // queued one by one: the platform callers take their places among the virtual ones
                    waitFor(() -> gc.queued() == queued, "caller " + queued + " queued");
                }
                first.release();
                assertNull(first.get());
                for (int i = 0; i < callers; i++) {
                    assertTrue(threads.get(i).join(Duration.ofSeconds(WAIT_SECONDS)), "caller " + i + " returned");
                    assertEquals(1000 + i, results.get(i), "caller " + i + "'s own result");
                }
                long[] after = gc.statistics();
                assertEquals(2, after[0] - before[0], "the held transaction, then one batch for all");
                assertEquals(callers, after[2], "all callers in one batch");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Callers interrupted while their operations run (inner positions of the tree among them) keep waiting for the
     * commit, keep their interrupt status, and still wake the callers after them; callers that left the queue
     * before the batch was taken (interrupted, or timed out) are not in it and leave no gap in the tree.
     */
    @Test
    void interruptedAndTimedOutCallersLeaveNoCallerWaiting() throws Exception {
        try (JdbcStorageBackend b = GroupCommitFixture.open(dataDir, Map.of())) {
            SqliteGroupCommit gc = b.groupCommit();
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                HeldTransaction first = holdOpen(gc, pool, h -> { });
                CountDownLatch running = new CountDownLatch(1);
                CountDownLatch go = new CountDownLatch(1);
                int callers = 46; // 40 queued one by one (4 of them leave again), then 6 that time out at once
                AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(callers);
                boolean[] flagKept = new boolean[callers];
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    int n = i;
                    threads.add(Thread.ofVirtual().unstarted(() -> {
                        try {
                            results.set(n, gc.run(h -> {
                                if (n == 0) { // the batch's first operation holds it until the others are interrupted
                                    running.countDown();
                                    GroupCommitFixture.await(go);
                                }
                                return h.execute(insert("k" + n));
                            }, n >= 40 ? 1 : 30_000));
                        } catch (Throwable e) {
                            results.set(n, e);
                        }
                        flagKept[n] = Thread.currentThread().isInterrupted();
                    }));
                }
                for (int i = 0; i < 40; i++) {
                    threads.get(i).start();
                    int queued = i + 1;
                    waitFor(() -> gc.queued() == queued, "caller " + queued + " queued");
                }
                for (int i = 5; i < 40; i += 10) { // leave the queue: positions that the batch closes up
                    threads.get(i).interrupt();
                    assertTrue(threads.get(i).join(Duration.ofSeconds(WAIT_SECONDS)), "caller " + i + " left");
                    assertInstanceOf(InterruptedException.class, results.get(i));
                }
                for (int i = 40; i < callers; i++) {
                    threads.get(i).start();
                    assertTrue(threads.get(i).join(Duration.ofSeconds(WAIT_SECONDS)), "caller " + i + " gave up");
                    assertInstanceOf(SqliteGroupCommit.TimeoutException.class, results.get(i));
                }
                assertEquals(36, gc.queued(), "the callers that stayed");
                first.release();
                first.get();
                assertTrue(running.await(WAIT_SECONDS, TimeUnit.SECONDS), "the batch runs");
                assertEquals(0, gc.queued(), "all taken into the batch");
                for (int i = 1; i < 40; i += 3) {
                    if (i % 10 != 5) {
                        threads.get(i).interrupt(); // inside the running batch: inner positions of the tree too
                    }
                }
                go.countDown();
                for (int i = 0; i < callers; i++) {
                    assertTrue(threads.get(i).join(Duration.ofSeconds(WAIT_SECONDS)), "caller " + i + " returned");
                    boolean left = i % 10 == 5 && i < 40 || i >= 40;
                    assertEquals(!left, b.getRecord("wake", "k" + i).isPresent(), "caller " + i + "'s row");
                    if (!left) {
                        assertEquals(1, results.get(i), "caller " + i + " committed");
                        assertEquals(i % 3 == 1, flagKept[i], "caller " + i + "'s interrupt status");
                    }
                }
                long[] stats = gc.statistics();
                assertEquals(36, stats[2], "the callers that stayed, in one batch");
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
