package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;

/**
 * Shared setup of the group-commit tests ({@link SqliteGroupCommitTest}, {@link WriterStatementsTest}): the real
 * SQLite backend in a test folder, a transaction held open on the writing connection so that writes queue behind
 * it, and bounded waits (every wait gives up after {@link #WAIT_SECONDS}).
 */
final class GroupCommitFixture {
    static final long WAIT_SECONDS = 30;

    private GroupCommitFixture() {
    }

    /** The real SQLite backend with its database under {@code dataDir}. */
    static JdbcStorageBackend open(Path dataDir, Map<String, String> properties) {
        return (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", properties, Set.of()), TestPluginContext.denyingEgress(dataDir));
    }

    /** A transaction of the group commit held open until {@link #release()}: writes submitted meanwhile queue. */
    static final class HeldTransaction {
        private final CountDownLatch release = new CountDownLatch(1);
        private final Future<Object> done;

        private HeldTransaction(SqliteGroupCommit gc, ExecutorService pool, Consumer<Handle> inside)
                throws InterruptedException {
            CountDownLatch entered = new CountDownLatch(1);
            done = pool.submit(() -> gc.run(h -> {
                inside.accept(h);
                entered.countDown();
                await(release);
                return null;
            }, 30_000));
            assertTrue(entered.await(WAIT_SECONDS, TimeUnit.SECONDS), "the held transaction opened");
        }

        void release() {
            release.countDown();
        }

        /** What the held transaction returned (null), once it committed. */
        Object get() throws Exception {
            return done.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Opens a transaction on {@code pool} that runs {@code inside} and stays open until released. */
    static HeldTransaction holdOpen(SqliteGroupCommit gc, ExecutorService pool, Consumer<Handle> inside)
            throws InterruptedException {
        return new HeldTransaction(gc, pool, inside);
    }

    /** The {@link VaultException} a submitted call failed with (an assertion error if it did not fail). */
    static VaultException failure(Future<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS));
        return assertInstanceOf(VaultException.class, e.getCause());
    }

    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(5);
        }
    }
}
