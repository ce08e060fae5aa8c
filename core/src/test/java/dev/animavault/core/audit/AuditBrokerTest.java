package dev.animavault.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AuditBrokerTest {

    /** Records what it is given; can be told to fail, throw an Error, or block. */
    static final class RecordingSink implements AuditSink {
        final List<AuditEvent> events = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        volatile boolean fail;
        volatile boolean error;
        volatile CountDownLatch block;
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public void probe() {
        }

        @Override
        public void write(List<AuditEvent> batch) {
            entered.countDown();
            CountDownLatch b = block;
            if (b != null) {
                try {
                    b.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (error) {
                throw new AssertionError("sink error");
            }
            if (fail) {
                throw new IllegalStateException("sink down");
            }
            batchSizes.add(batch.size());
            events.addAll(batch);
        }

        @Override
        public void close() {
        }
    }

    private static AuditEvent event(String id) {
        return new AuditEvent(id, Instant.now(), "secret.read", AuditOutcome.SUCCESS, "org", "agent", "KEY", 1,
                "identity:agent", "req-" + id, "127.0.0.1", null, Map.of());
    }

    @Test
    void recordsOnEverySinkAndReportsWhetherAnyHasIt() {
        RecordingSink a = new RecordingSink();
        RecordingSink b = new RecordingSink();
        AuditBroker broker = new AuditBroker(List.of(a, b), Duration.ofSeconds(5));
        assertTrue(broker.record(event("e1")));
        assertEquals(List.of("e1"), a.events.stream().map(AuditEvent::id).toList());
        assertEquals(List.of("e1"), b.events.stream().map(AuditEvent::id).toList());
        a.fail = true;
        assertTrue(broker.record(event("e2")), "one sink recorded it");
        b.fail = true;
        assertFalse(broker.record(event("e3")), "no sink recorded it");
        a.fail = false;
        b.fail = false;
        assertTrue(broker.record(event("e4")));
        assertEquals(List.of("e1", "e2", "e4"), b.events.stream().map(AuditEvent::id).toList());
        broker.close();
    }

    @Test
    void anErrorFromASinkFailsTheBatchAndLaterEventsStillGetRecorded() {
        RecordingSink sink = new RecordingSink();
        AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5));
        sink.error = true;
        assertFalse(broker.record(event("e1")));
        sink.error = false;
        assertTrue(broker.record(event("e2")));
        assertEquals(List.of("e2"), sink.events.stream().map(AuditEvent::id).toList());
        broker.close();
    }

    @Test
    void concurrentRequestsAreEachRecordedExactlyOnceAndShareBatches() throws Exception {
        RecordingSink sink = new RecordingSink();
        AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(30));
        int threads = 32;
        int perThread = 500;
        AtomicInteger refused = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        if (!broker.record(event(thread + "-" + i))) {
                            refused.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        assertEquals(0, refused.get());
        Set<String> ids = new HashSet<>();
        for (AuditEvent e : sink.events) {
            assertTrue(ids.add(e.id()), "recorded twice: " + e.id());
        }
        assertEquals(threads * perThread, ids.size());
        assertEquals(threads * perThread, sink.batchSizes.stream().mapToInt(Integer::intValue).sum());
        assertTrue(sink.batchSizes.size() < threads * perThread, "concurrent events share batches");
        broker.close();
        // per thread, events keep their order
        for (int t = 0; t < threads; t++) {
            String prefix = t + "-";
            List<String> mine = sink.events.stream().map(AuditEvent::id).filter(id -> id.startsWith(prefix)).toList();
            for (int i = 0; i < perThread; i++) {
                assertEquals(prefix + i, mine.get(i));
            }
        }
    }

    /** A broker whose only sink is blocked inside the write of the event "slow". */
    private record Blocked(RecordingSink sink, AuditBroker broker, Future<Boolean> slow) {
        static Blocked start(ExecutorService pool, Duration timeout) throws InterruptedException {
            RecordingSink sink = new RecordingSink();
            sink.block = new CountDownLatch(1);
            AuditBroker broker = new AuditBroker(List.of(sink), timeout);
            Future<Boolean> slow = pool.submit(() -> broker.record(event("slow")));
            assertTrue(sink.entered.await(10, TimeUnit.SECONDS), "the sink was entered");
            return new Blocked(sink, broker, slow);
        }

        List<String> ids() {
            return sink.events.stream().map(AuditEvent::id).toList();
        }
    }

    @Test
    void callersAreRefusedAfterTheTimeoutAndAQueuedEventIsNeverWrittenLater() throws Exception {
        Blocked b;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long slowStart = System.nanoTime();
            b = Blocked.start(pool, Duration.ofMillis(300));
            long start = System.nanoTime();
            assertFalse(b.broker.record(event("late")), "the sink is busy beyond the timeout");
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMs >= 250 && waitedMs < 5_000, "waited " + waitedMs + " ms");
            assertFalse(b.slow.get(10, TimeUnit.SECONDS), "a sink still writing after the timeout: refused (fail closed)");
            long slowMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - slowStart);
            assertTrue(slowMs < 5_000, "the request whose batch hung was refused after " + slowMs + " ms");
            b.sink.block.countDown();
            b.sink.block = null;
            assertTrue(b.broker.record(event("after")));
        }
        b.broker.close();
        assertFalse(b.ids().contains("late"), "a withdrawn event must not be written later: " + b.ids());
        assertTrue(b.ids().contains("slow") && b.ids().contains("after"), b.ids().toString());
    }

    @Test
    void anInterruptedCallerIsRefusedAndKeepsItsInterruptStatus() throws Exception {
        Blocked b;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            b = Blocked.start(pool, Duration.ofSeconds(30));
            Future<Boolean> interrupted = pool.submit(() -> {
                Thread.currentThread().interrupt();
                boolean recorded = b.broker.record(event("interrupted"));
                return !recorded && Thread.currentThread().isInterrupted();
            });
            assertTrue(interrupted.get(10, TimeUnit.SECONDS), "refused at once, interrupt status kept");
            b.sink.block.countDown();
            assertTrue(b.slow.get(10, TimeUnit.SECONDS));
        }
        b.broker.close();
        assertEquals(List.of("slow"), b.ids());
    }

    @Test
    void closeWithABlockedSinkReturnsAfterTheTimeoutAndWhatWaitedIsRefusedAndNeverWritten() throws Exception {
        Blocked b;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            b = Blocked.start(pool, Duration.ofSeconds(2));
            Future<Boolean> queued = pool.submit(() -> b.broker.record(event("queued")));
            Thread.sleep(100); // "queued" waits in the queue behind the blocked batch
            long start = System.nanoTime();
            b.broker.close();
            long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(closeMs >= 1_000 && closeMs < 10_000, "close waited " + closeMs + " ms for the blocked sink");
            assertFalse(b.broker.record(event("after close")));
            assertFalse(b.slow.get(1, TimeUnit.SECONDS), "refused when close gave up on the sink");
            assertFalse(queued.get(1, TimeUnit.SECONDS), "refused when close gave up on the sink");
            b.sink.block.countDown();
        }
        Thread.sleep(200);
        assertFalse(b.ids().contains("queued"), "an event refused at close is never written: " + b.ids());
    }

    @Test
    void theWatchdogWritesWhenTheFlusherNeverGetsToRun() throws Exception {
        RecordingSink sink = new RecordingSink();
        // the flusher thread is created but never started: a virtual thread starved of carriers
        try (AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5), r -> Thread.ofVirtual().unstarted(r))) {
            long start = System.nanoTime();
            assertTrue(broker.record(event("e1")));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms < 2_000, "written by the watchdog after " + ms + " ms (its period is 100 ms)");
            assertEquals(List.of("e1"), sink.events.stream().map(AuditEvent::id).toList());
        }
    }

    @Test
    void closeWritesNothingNewAndRefusesLaterEvents() {
        RecordingSink sink = new RecordingSink();
        AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5));
        assertTrue(broker.record(event("e1")));
        broker.close();
        assertFalse(broker.record(event("e2")));
        assertEquals(List.of("e1"), sink.events.stream().map(AuditEvent::id).toList());
    }

    @Test
    void eventIdsAreUniqueAndTimeOrdered() {
        AuditBroker broker = new AuditBroker(List.of(new RecordingSink()), Duration.ofSeconds(5));
        String a = broker.newEventId(1000);
        String b = broker.newEventId(1000);
        String c = broker.newEventId(2000);
        assertTrue(a.compareTo(b) < 0 && b.compareTo(c) < 0, a + " " + b + " " + c);
        broker.close();
    }
}
