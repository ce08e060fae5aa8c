package dev.animavault.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.animavault.core.config.AdminConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Argon2id hashes in PHC form, verification, and the concurrency limit that protects the read path. */
class PasswordHasherTest {
    private static final AdminConfig CHEAP = AdminConfig.DEFAULTS.withArgon2(1024, 1, 1)
            .withHashLimit(1, Duration.ZERO).withHashCpuShare(1.0);

    @Test
    void hashesVerifyAndCarryTheirParameters() {
        PasswordHasher h = new PasswordHasher(CHEAP);
        String hash = h.hash("correct horse battery".toCharArray());
        assertTrue(hash.startsWith("$argon2id$v=19$m=1024,t=1,p=1$"), hash);
        assertTrue(h.verify(hash, "correct horse battery".toCharArray()));
        assertFalse(h.verify(hash, "correct horse batterx".toCharArray()));
        assertFalse(h.verify(null, "anything at all".toCharArray())); // unknown user: decoy, false
        assertFalse(h.needsRehash(hash));
        assertTrue(new PasswordHasher(AdminConfig.DEFAULTS).needsRehash(hash));
        assertThrows(VaultException.class, () -> h.verify("$argon2i$v=19$m=1,t=1,p=1$AA$AA", "x".toCharArray()));
    }

    @Test
    void aVerificationFindingNoFreeSlotIsRefusedWith503InsteadOfQueueing() throws Exception {
        PasswordHasher h = new PasswordHasher(CHEAP);
        String hash = h.hash("correct horse battery".toCharArray());
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = PasswordHasherTest.holdPermit(h, release);
        VaultException e = assertThrows(VaultException.class, () -> h.verify(hash, "correct horse battery".toCharArray()));
        assertEquals(ErrorCode.UNAVAILABLE, e.errorCode());
        assertTrue(e.retryAfter().isPresent());
        release.countDown();
        holder.join(10_000);
        assertTrue(h.verify(hash, "correct horse battery".toCharArray()));
    }

    @Test
    void pastTheWaitingRoomAVerificationIsRefusedAtOnceAndSaturatedSaysSoBeforeAnyWork() throws Exception {
        // one permit, 60 s of queue wait, a 30 s cycle: the permit serves two waiters within the wait
        PasswordHasher h = new PasswordHasher(CHEAP.withHashLimit(1, Duration.ofSeconds(60)));
        String hash = h.hash("correct horse battery".toCharArray());
        h.assumeCycle(Duration.ofSeconds(30));
        assertEquals(2, h.waitingRoom());
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = PasswordHasherTest.holdPermit(h, release);
        assertFalse(h.saturated());
        boolean[] ok = new boolean[2];
        Thread w1 = Thread.ofVirtual().start(() -> ok[0] = h.verify(hash, "correct horse battery".toCharArray()));
        Thread w2 = Thread.ofVirtual().start(() -> ok[1] = h.verify(hash, "correct horse battery".toCharArray()));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (h.waiting() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(2, h.waiting());
        assertTrue(h.saturated());
        VaultException e = assertThrows(VaultException.class, () -> h.verify(hash, "correct horse battery".toCharArray()));
        assertEquals(ErrorCode.UNAVAILABLE, e.errorCode());
        assertTrue(e.retryAfter().isPresent());
        assertEquals(2, h.waiting()); // the refused one never joined the queue
        release.countDown();
        holder.join(10_000);
        w1.join(10_000);
        w2.join(10_000);
        assertTrue(ok[0] && ok[1]);
        assertEquals(0, h.waiting());
    }

    @Test
    void underAShareBelowOneAPermitRestsAfterEachHashWithoutDelayingItsCaller() throws Exception {
        PasswordHasher h = new PasswordHasher(CHEAP.withHashCpuShare(0.5));
        long start = System.nanoTime();
        h.limited(() -> {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            return new byte[0];
        });
        long took = System.nanoTime() - start;
        if (took < Duration.ofMillis(550).toNanos()) { // the caller came back, the permit still rests ~300 ms
            assertEquals(0, h.availablePermits());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (h.availablePermits() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, h.availablePermits());
    }

    @Test
    void withLowPriorityOnLinuxHashesRunOnAThreadAtNice19WhileTheCallersPriorityIsUntouched() throws Exception {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "nice levels are checked on Linux only");
        assumeTrue(Runtime.version().feature() >= 22, "the foreign function API is final from Java 22");
        assertTrue(LowPriority.available(), "setpriority should be callable on Linux with Java 22+");
        try (PasswordHasher h = new PasswordHasher(CHEAP.withHashThreadsLowPriority(true));
             PasswordHasher normal = new PasswordHasher(CHEAP)) {
            int callerBefore = niceOfThisThread();
            assumeTrue(callerBefore < LowPriority.NICE, "the test JVM already runs at the lowest priority");
            // the kernel's view of the thread that runs the hash: /proc/thread-self is the calling task
            byte[] inPool = h.limited(() -> new byte[] {(byte) niceOfThisThread()});
            assertEquals(LowPriority.NICE, inPool[0]);
            // without the setting (the default) the hashing thread keeps the caller's priority
            assertEquals(callerBefore, normal.limited(() -> new byte[] {(byte) niceOfThisThread()})[0]);
            // who = 0 lowered that thread alone, not the process: the caller and a new thread are unchanged
            assertEquals(callerBefore, niceOfThisThread());
            int[] other = new int[1];
            Thread t = Thread.ofPlatform().start(() -> other[0] = niceOfThisThread());
            t.join(10_000);
            assertEquals(callerBefore, other[0]);
            // and hashing on that thread still works
            String hash = h.hash("correct horse battery".toCharArray());
            assertTrue(h.verify(hash, "correct horse battery".toCharArray()));
        }
    }

    /** Field 19 (nice) of {@code /proc/thread-self/stat}, read by the calling platform thread. */
    private static int niceOfThisThread() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            // "tid (comm) state ppid ...": comm may hold spaces; fields after ')' start at field 3
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Integer.parseInt(fields[19 - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void loginThrottleLocksAnAccountWithAGrowingDelayAndASuccessClearsIt() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        LoginThrottle t = new LoginThrottle(AdminConfig.DEFAULTS, clock); // 5 per account, 50 per address
        for (int i = 0; i < 4; i++) {
            assertEquals(0, t.failure("org/a", "10.0.0.1"));
        }
        assertEquals(1, t.failure("org/a", "10.0.0.1"));
        assertTrue(t.retryAfter("org/a", "10.0.0.2") > 0);
        assertEquals(0, t.retryAfter("org/b", "10.0.0.1"));
        clock.advance(Duration.ofSeconds(2));
        assertEquals(0, t.retryAfter("org/a", "10.0.0.1"));
        assertEquals(2, t.failure("org/a", "10.0.0.1"));
        assertEquals(4, t.failure("org/a", "10.0.0.1"));
        t.success("org/a");
        assertEquals(0, t.retryAfter("org/a", "10.0.0.3"));
        // the address: 50 failures spread over accounts
        for (int i = 0; i < 43; i++) {
            t.failure(null, "10.0.0.1");
        }
        assertTrue(t.retryAfter("org/z", "10.0.0.1") > 0);
        assertEquals(0, t.retryAfter("org/z", "10.0.0.9"));
    }

    /**
     * Takes the hasher's one verification permit on a virtual thread and keeps it until {@code release} is
     * counted down (at most 30 s); returns once the permit is held.
     */
    static Thread holdPermit(PasswordHasher hasher, CountDownLatch release) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        Thread holder = Thread.ofVirtual().start(() -> hasher.limited(() -> {
            holding.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new byte[0];
        }));
        assertTrue(holding.await(10, TimeUnit.SECONDS), "the permit was taken");
        return holder;
    }
}
