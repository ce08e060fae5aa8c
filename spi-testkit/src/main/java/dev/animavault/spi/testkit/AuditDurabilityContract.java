package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.AuditContractSupport.ORG_A;
import static dev.animavault.spi.testkit.AuditContractSupport.ORG_B;
import static dev.animavault.spi.testkit.AuditContractSupport.expectedFor;
import static dev.animavault.spi.testkit.AuditContractSupport.query;
import static dev.animavault.spi.testkit.AuditContractSupport.queryAll;
import static dev.animavault.spi.testkit.AuditContractSupport.reversed;
import static dev.animavault.spi.testkit.AuditTestEvents.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The restart and thread half of {@link AuditSinkContract}: events survive a reopen and writing continues; a
 * {@code close} from another thread stops a writer without losing or tearing an acknowledged batch; queries
 * running alongside the writer see every acknowledged event. Each method is one of the contract's tests; the
 * contract's {@code @Test} method of the same name calls it.
 */
final class AuditDurabilityContract {
    private final AuditSinkContract contract;

    AuditDurabilityContract(AuditSinkContract contract) {
        this.contract = contract;
    }

    // ------------------------------------------------------------------ restart

    void eventsSurviveReopenAndWritingContinues() {
        assumeTrue(contract.supportsReopen(), "the sink does not keep events across a close");
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            written.add(contract.events.event(i % 2 == 0 ? ORG_A : ORG_B, "agent_" + (i % 4), "secret.read", at(i)));
        }
        written.add(contract.events.fullEvent(ORG_A, at(25)));
        written.add(contract.events.sparseEvent(ORG_A, at(26)));
        sink.write(written.subList(0, 10));
        sink.write(written.subList(10, written.size()));
        sink.close();

        QueryableAuditSink again = contract.reopenQueryable();
        again.probe();
        assertEquals(expectedFor(written, ORG_A), queryAll(again, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 7));

        for (int i = 0; i < 8; i++) {
            written.add(contract.events.event(ORG_A, "agent_" + (i % 4), "secret.create", at(100 + i)));
        }
        again.write(written.subList(written.size() - 8, written.size()));
        assertEquals(expectedFor(written, ORG_A), queryAll(again, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 5));
        assertEquals(expectedFor(written, ORG_B), queryAll(again, ORG_B, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 5));
        again.close();

        QueryableAuditSink third = contract.reopenQueryable();
        assertEquals(expectedFor(written, ORG_A), queryAll(third, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 100));
    }

    // ------------------------------------------------------------------ threads

    void closeFromAnotherThreadStopsTheWriterCleanly() throws Exception {
        AuditSink sink = contract.open();
        AtomicInteger acknowledgedBatches = new AtomicInteger();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        List<List<AuditEvent>> batches = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(5);
        Thread writer = new Thread(() -> {
            AuditTestEvents own = new AuditTestEvents();
            try {
                for (int b = 0; b < 1_000_000; b++) {
                    List<AuditEvent> batch = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        batch.add(own.event(ORG_A, "agent_" + i, "secret.read", at(b * 10L + i)));
                    }
                    batches.add(batch);
                    sink.write(batch);
                    acknowledgedBatches.incrementAndGet();
                    started.countDown();
                }
                writerFailure.set(new AssertionError("the writer was never stopped by close()"));
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "audit-contract-writer");
        writer.start();
        assertTrue(started.await(30, TimeUnit.SECONDS), "the writer did not get going");
        sink.close();
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(writer.isAlive(), "the writer is still running after close()");

        Throwable t = writerFailure.get();
        if (!(t instanceof VaultException ve) || ve.errorCode() != ErrorCode.AUDIT_UNAVAILABLE) {
            throw new AssertionError("a write after close must fail with AUDIT_UNAVAILABLE", t);
        }
        if (!contract.supportsReopen()) {
            return;
        }
        AuditSink reopened = contract.reopen();
        contract.track(reopened);
        if (!(reopened instanceof QueryableAuditSink q)) {
            return;
        }
        // Every acknowledged batch is there, whole; of the batch in flight at most a prefix, in order.
        List<AuditEvent> stored = reversed(queryAll(q, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), PageRequest.MAX_LIMIT));
        int acknowledged = acknowledgedBatches.get();
        List<AuditEvent> expectedPrefix = new ArrayList<>();
        batches.subList(0, acknowledged).forEach(expectedPrefix::addAll);
        assertTrue(stored.size() >= expectedPrefix.size(), "acknowledged events are missing after close");
        assertEquals(expectedPrefix, stored.subList(0, expectedPrefix.size()));
        List<AuditEvent> extra = stored.subList(expectedPrefix.size(), stored.size());
        if (!extra.isEmpty()) {
            assertTrue(batches.size() > acknowledged, "events that were never written appeared");
            List<AuditEvent> inFlight = batches.get(acknowledged);
            assertEquals(inFlight.subList(0, extra.size()), extra, "a partly recorded batch must be a prefix");
        }
    }

    void queriesRunConcurrentlyWithTheWriterAndSeeAcknowledgedEvents() throws Exception {
        QueryableAuditSink sink = contract.openQueryable();
        int batchCount = 150;
        int batchSize = 4;
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < batchCount * batchSize; i++) {
            written.add(contract.events.event(ORG_A, "agent_" + (i % 5), "secret.read", at(i)));
        }
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < written.size(); i++) {
            position.put(written.get(i).id(), i);
        }
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int b = 0; b < batchCount; b++) {
                    sink.write(written.subList(b * batchSize, (b + 1) * batchSize));
                    acknowledged.set((b + 1) * batchSize);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "audit-contract-writer");
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(new Thread(() -> {
                try {
                    while (acknowledged.get() < written.size() && failure.get() == null) {
                        int before = acknowledged.get();
                        List<AuditEvent> page = sink.query(query(ORG_A, 25)).items();
                        if (before == 0) {
                            continue;
                        }
                        assertFalse(page.isEmpty(), "acknowledged events are not visible");
                        int newest = position.get(page.get(0).id());
                        assertTrue(newest >= before - 1, "a query missed an acknowledged event");
                        for (int i = 0; i < page.size(); i++) {
                            assertEquals(written.get(newest - i), page.get(i), "results are torn or out of order");
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "audit-contract-reader-" + r));
        }
        readers.forEach(Thread::start);
        writer.start();
        writer.join();
        for (Thread reader : readers) {
            reader.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("concurrent write/query failed", failure.get());
        }
        assertEquals(reversed(written), queryAll(sink, ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.MAX_LIMIT));
    }
}
