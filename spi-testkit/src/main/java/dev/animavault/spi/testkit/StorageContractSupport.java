package dev.animavault.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.function.Executable;

/** Assertions and helpers shared by the groups of the storage contract. */
final class StorageContractSupport {

    /** The longest any concurrency test may run before it is declared hung. */
    private static final Duration CONCURRENCY_DEADLINE = Duration.ofMinutes(3);

    private StorageContractSupport() {
    }

    /** Asserts that {@code call} throws a {@link VaultException} with the given code; returns it. */
    static VaultException assertCode(ErrorCode expected, Executable call) {
        VaultException e = assertThrows(VaultException.class, call, "expected " + expected);
        assertEquals(expected, e.errorCode(), "error code (message: " + e.getMessage() + ")");
        assertNotNull(e.getMessage(), "errors carry a message");
        return e;
    }

    static <T> List<String> keysOf(Page<T> page, Function<T, String> key) {
        return page.items().stream().map(key).toList();
    }

    /** A functional block run by one writer thread. */
    @FunctionalInterface
    interface Writer {
        void run(int writerIndex) throws Exception;
    }

    /** Runs {@code writers} threads that start together and waits for all; rethrows the first failure. */
    static void runConcurrently(int writers, Writer writer) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int index = w;
                futures.add(pool.submit(() -> {
                    start.await();
                    writer.run(index);
                    return null;
                }));
            }
            start.countDown();
            long deadline = System.nanoTime() + CONCURRENCY_DEADLINE.toNanos();
            for (Future<?> f : futures) {
                long left = deadline - System.nanoTime();
                try {
                    f.get(Math.max(left, 1), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception ex) {
                        throw ex;
                    }
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw e;
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("concurrent writers did not finish within " + CONCURRENCY_DEADLINE);
                }
            }
        } finally {
            pool.shutdownNow();
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                fail("writer threads did not stop");
            }
        }
    }
}
