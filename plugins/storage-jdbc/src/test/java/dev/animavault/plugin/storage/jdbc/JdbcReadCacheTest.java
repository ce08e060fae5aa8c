package dev.animavault.plugin.storage.jdbc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredSecret;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read cache of {@code readSecret} on a real SQLite file: hits skip the database, every kind of
 * write is seen by the next read, and reads racing with writes never bring back a state older than a
 * write that had returned (deterministically through the cache's test hooks, and under load).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JdbcReadCacheTest {

    private static final String ORG = "org_rc";
    private static final String AGENT = "agent_1";
    private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z").truncatedTo(ChronoUnit.MICROS);
    private static final OptionalInt CURRENT = OptionalInt.empty();

    @TempDir
    Path dataDir;

    private JdbcStorageBackend open(Map<String, String> extra) {
        Map<String, String> values = new HashMap<>(extra);
        values.putIfAbsent("read-cache", "on");
        JdbcStorageBackend b = (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", values, Set.of()), TestPluginContext.denyingEgress(dataDir));
        assertNotNull(b.readCache());
        return b;
    }

    private static SecretVersion version(SecretRef ref, int v, String value) {
        return new SecretVersion(ref, v, value.getBytes(UTF_8), NOW, "test");
    }

    private static SecretMetadata metadata(SecretRef ref, int current, long revision, Map<String, String> labels) {
        return new SecretMetadata(ref, "password", current, labels, Map.of(), NOW, NOW, revision);
    }

    private static Identity identity(String id, long revision) {
        return new Identity(ORG, id, "Agent", Map.of(), false, NOW, NOW, revision);
    }

    private static SecretRef create(JdbcStorageBackend b, String key, String value) {
        SecretRef ref = new SecretRef(ORG, AGENT, key);
        b.createSecret(metadata(ref, 1, 0, Map.of()), version(ref, 1, value));
        return ref;
    }

    private static String value(Optional<StoredSecret> s) {
        return new String(s.orElseThrow().version().value(), UTF_8);
    }

    /** The read, asserting whether it came from the cache. */
    private static Optional<StoredSecret> read(JdbcStorageBackend b, SecretRef ref, OptionalInt v, boolean hit) {
        long before = b.secretReadsFromDatabase();
        Optional<StoredSecret> s = b.readSecret(ref, v);
        assertEquals(hit ? 0 : 1, b.secretReadsFromDatabase() - before, hit ? "expected a cache hit" : "expected a database read");
        return s;
    }

    // ---------------------------------------------------------------- the cache is used

    @Test
    void aHitSkipsTheDatabaseSoAWriterBehindTheBackendsBackIsNotSeen() throws Exception {
        try (JdbcStorageBackend b = open(Map.of())) {
            b.createIdentity(identity(AGENT, 0));
            SecretRef ref = create(b, "K", "v1");
            Optional<StoredSecret> first = read(b, ref, CURRENT, false);
            Optional<StoredSecret> hit = read(b, ref, CURRENT, true);
            assertEquals(first, hit);
            assertSame(hit, read(b, ref, CURRENT, true), "the cached result itself, shared");
            assertEquals("v1", value(read(b, ref, OptionalInt.of(1), false)));
            assertEquals("v1", value(read(b, ref, OptionalInt.of(1), true)));
            assertEquals(Optional.empty(), read(b, ref, OptionalInt.of(2), false), "misses are not cached");
            assertEquals(Optional.empty(), read(b, ref, OptionalInt.of(2), false));
            assertEquals(Optional.empty(), read(b, new SecretRef(ORG, AGENT, "NONE"), CURRENT, false));
            assertEquals(Optional.empty(), read(b, new SecretRef(ORG, AGENT, "NONE"), CURRENT, false));
            assertEquals(Optional.empty(), read(b, ref, OptionalInt.of(0), false), "version 0 never exists");

            // the shared result cannot be changed by a caller: its bytes are copied out
            byte[] bytes = first.orElseThrow().version().value();
            bytes[0] = 'X';
            assertEquals("v1", value(read(b, ref, CURRENT, true)));

            // Another writer of the file (what the lock file keeps out) is not seen while the read is cached
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("anima-vault.db"));
                 PreparedStatement ps = c.prepareStatement("UPDATE secrets SET latest_value = ? WHERE secret_key = 'K'")) {
                ps.setBytes(1, "foreign".getBytes(UTF_8));
                assertEquals(1, ps.executeUpdate());
            }
            assertEquals("v1", value(read(b, ref, CURRENT, true)), "the cache answers, the database is not asked");
            // ... until a write of this backend to the secret drops it
            b.updateSecretMetadata(metadata(ref, 1, 1, Map.of("n", "1")), 1);
            assertEquals("foreign", value(read(b, ref, CURRENT, false)));
        }
    }

    // ---------------------------------------------------------------- coherence, one write at a time

    @Test
    void everyKindOfWriteIsSeenByTheNextRead() {
        try (JdbcStorageBackend b = open(Map.of())) {
            b.createIdentity(identity(AGENT, 0));
            SecretRef ref = create(b, "K", "v1");
            SecretRef other = create(b, "OTHER", "o1");
            assertEquals("o1", value(read(b, other, CURRENT, false)));
            assertEquals(1, read(b, ref, CURRENT, false).orElseThrow().metadata().currentVersion());
            read(b, ref, OptionalInt.of(1), false);
            read(b, ref, CURRENT, true);

            // addVersion: the current read and the explicit one (its metadata changed) are dropped
            b.addVersion(metadata(ref, 2, 1, Map.of()), 1, version(ref, 2, "v2"));
            StoredSecret current = read(b, ref, CURRENT, false).orElseThrow();
            assertEquals(2, current.version().version());
            assertEquals("v2", new String(current.version().value(), UTF_8));
            StoredSecret v1 = read(b, ref, OptionalInt.of(1), false).orElseThrow();
            assertEquals(2, v1.metadata().currentVersion());
            assertEquals(2, v1.metadata().revision());
            read(b, ref, OptionalInt.of(2), false);
            assertEquals("o1", value(read(b, other, CURRENT, true)), "another secret's reads stay cached");

            // updateSecretMetadata: current version moved back, labels replaced
            b.updateSecretMetadata(metadata(ref, 1, 2, Map.of("env", "prod")), 2);
            current = read(b, ref, CURRENT, false).orElseThrow();
            assertEquals(1, current.version().version());
            assertEquals(Map.of("env", "prod"), current.metadata().metadata());
            assertEquals(3, current.metadata().revision());
            assertEquals(1, read(b, ref, OptionalInt.of(2), false).orElseThrow().metadata().currentVersion());

            // a write that fails still drops the secret's reads (it may have been anything)
            VaultException conflict = assertThrows(VaultException.class,
                    () -> b.addVersion(metadata(ref, 3, 1, Map.of()), 1, version(ref, 3, "v3")));
            assertEquals(ErrorCode.REVISION_CONFLICT, conflict.errorCode());
            assertEquals(1, read(b, ref, CURRENT, false).orElseThrow().version().version());
            read(b, ref, OptionalInt.of(2), false);

            // records and new identities change no secret: nothing is dropped
            b.putRecord("ns", "k", new byte[] {1}, 0);
            b.createIdentity(identity("agent_2", 0));
            read(b, ref, CURRENT, true);
            read(b, ref, OptionalInt.of(2), true);

            // deleteSecret: every version is gone
            b.deleteSecret(ref, 3);
            assertEquals(Optional.empty(), read(b, ref, CURRENT, false));
            assertEquals(Optional.empty(), read(b, ref, OptionalInt.of(1), false));
            assertEquals(Optional.empty(), read(b, ref, OptionalInt.of(2), false));
            // and a new secret under the same key is read as the new one
            create(b, "K", "again");
            assertEquals("again", value(read(b, ref, CURRENT, false)));
            assertEquals(1, read(b, ref, CURRENT, true).orElseThrow().metadata().revision());

            // updateIdentity drops everything (conservatively)
            assertTrue(b.readCache().size() > 0);
            b.updateIdentity(new Identity(ORG, AGENT, "Renamed", Map.of(), true, NOW, NOW, 0), 1);
            assertEquals(0, b.readCache().size());
            assertEquals("again", value(read(b, ref, CURRENT, false)));
            assertEquals("o1", value(read(b, other, CURRENT, false)));

            // deleteIdentity: its secrets go by cascade, and so do their cached reads
            read(b, other, OptionalInt.of(1), false);
            b.deleteIdentity(ORG, AGENT, 2);
            assertEquals(Optional.empty(), read(b, ref, CURRENT, false));
            assertEquals(Optional.empty(), read(b, other, CURRENT, false));
            assertEquals(Optional.empty(), read(b, other, OptionalInt.of(1), false));
        }
    }

    @Test
    void theCacheIsBoundedByItsSize() {
        try (JdbcStorageBackend b = open(Map.of("read-cache-size", "5"))) {
            b.createIdentity(identity(AGENT, 0));
            List<SecretRef> refs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                refs.add(create(b, "K" + i, "v" + i));
            }
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < refs.size(); i++) {
                    assertEquals("v" + i, value(b.readSecret(refs.get(i), CURRENT)));
                    b.readSecret(refs.get(i), OptionalInt.of(1));
                }
            }
            assertTrue(b.readCache().size() <= 5, b.readCache().size() + " cached reads");
        }
    }

    // ---------------------------------------------------------------- races, made deterministic

    /**
     * A read whose database read ran before a write returned, and whose insert comes after: the insert
     * must not happen (the epoch moved), or the next read would return the state before the write.
     * Without the epoch check this fails: the writer's invalidation ran before the insert.
     */
    @Test
    void aReadOverlappingAWriteDoesNotCacheWhatItRead() throws Exception {
        assertNoStaleInsert(CURRENT, (b, ref) -> b.addVersion(metadata(ref, 2, 1, Map.of()), 1, version(ref, 2, "v2")),
                (b, ref) -> assertEquals("v2", value(b.readSecret(ref, CURRENT))));
        assertNoStaleInsert(OptionalInt.of(1), (b, ref) -> b.addVersion(metadata(ref, 2, 1, Map.of()), 1,
                        version(ref, 2, "v2")),
                (b, ref) -> assertEquals(2, b.readSecret(ref, OptionalInt.of(1)).orElseThrow().metadata().currentVersion()));
        assertNoStaleInsert(CURRENT, (b, ref) -> b.updateSecretMetadata(metadata(ref, 1, 1, Map.of("a", "b")), 1),
                (b, ref) -> assertEquals(Map.of("a", "b"), b.readSecret(ref, CURRENT).orElseThrow().metadata().metadata()));
        assertNoStaleInsert(CURRENT, (b, ref) -> b.deleteSecret(ref, 1),
                (b, ref) -> assertEquals(Optional.empty(), b.readSecret(ref, CURRENT)));
        assertNoStaleInsert(CURRENT, (b, ref) -> b.deleteIdentity(ORG, AGENT, 1),
                (b, ref) -> assertEquals(Optional.empty(), b.readSecret(ref, CURRENT)));
    }

    @FunctionalInterface
    private interface Step {
        void run(JdbcStorageBackend b, SecretRef ref);
    }

    private void assertNoStaleInsert(OptionalInt readVersion, Step write, Step check) throws Exception {
        try (JdbcStorageBackend b = open(Map.of("url", "jdbc:sqlite:stale-" + System.nanoTime() + ".db"))) {
            b.createIdentity(identity(AGENT, 0));
            SecretRef ref = create(b, "K", "v1");
            CountDownLatch readDone = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<Thread> reader = new AtomicReference<>();
            b.readCache().beforeInsert(() -> {
                if (Thread.currentThread() == reader.get()) {
                    readDone.countDown();
                    await(release);
                }
            });
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Optional<StoredSecret>> read = pool.submit(() -> {
                    reader.set(Thread.currentThread());
                    return b.readSecret(ref, readVersion);
                });
                assertTrue(readDone.await(30, TimeUnit.SECONDS), "the reader did not reach its insert");
                write.run(b, ref); // has returned: every read from now on must see it
                release.countDown();
                assertEquals("v1", value(read.get(30, TimeUnit.SECONDS)), "the overlapping read saw the state before");
            }
            b.readCache().beforeInsert(null);
            check.run(b, ref);
            check.run(b, ref);
        }
    }

    /**
     * A reader whose epoch check passed holds the key while inserting: a writer to the same secret,
     * having bumped the epoch, waits for that insert to finish and then removes it.
     */
    @Test
    void aWriterWaitsForAnInsertInProgressOnTheSameSecretThenDropsIt() throws Exception {
        try (JdbcStorageBackend b = open(Map.of())) {
            b.createIdentity(identity(AGENT, 0));
            SecretRef ref = create(b, "K", "v1");
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<Thread> reader = new AtomicReference<>();
            b.readCache().afterCheck(() -> {
                if (Thread.currentThread() == reader.get()) {
                    inside.countDown();
                    await(release);
                }
            });
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Optional<StoredSecret>> read = pool.submit(() -> {
                    reader.set(Thread.currentThread());
                    return b.readSecret(ref, CURRENT);
                });
                assertTrue(inside.await(30, TimeUnit.SECONDS));
                Future<?> write = pool.submit(() -> b.addVersion(metadata(ref, 2, 1, Map.of()), 1, version(ref, 2, "v2")));
                awaitCommittedCurrentVersion(2);
                Thread.sleep(200);
                assertFalse(write.isDone(), "the writer, committed, waits for the insert in progress on its key");
                release.countDown();
                write.get(30, TimeUnit.SECONDS);
                assertEquals("v1", value(read.get(30, TimeUnit.SECONDS)));
            }
            b.readCache().afterCheck(null);
            assertEquals("v2", value(read(b, ref, CURRENT, false)));
        }
    }

    /**
     * Dropping everything cannot wait for inserts of keys it does not see yet: an insert whose check
     * passed before an identity delete may land after the sweep, and must then be void (the floor).
     */
    @Test
    void anInsertLandingAfterAnIdentityDeleteSweptTheCacheIsVoid() throws Exception {
        try (JdbcStorageBackend b = open(Map.of())) {
            b.createIdentity(identity(AGENT, 0));
            SecretRef ref = create(b, "K", "v1");
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<Thread> reader = new AtomicReference<>();
            b.readCache().afterCheck(() -> {
                if (Thread.currentThread() == reader.get()) {
                    inside.countDown();
                    await(release);
                }
            });
            boolean deleteFinishedFirst;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Optional<StoredSecret>> read = pool.submit(() -> {
                    reader.set(Thread.currentThread());
                    return b.readSecret(ref, CURRENT);
                });
                assertTrue(inside.await(30, TimeUnit.SECONDS));
                Future<?> delete = pool.submit(() -> b.deleteIdentity(ORG, AGENT, 1));
                try {
                    delete.get(2, TimeUnit.SECONDS);
                    deleteFinishedFirst = true;
                } catch (java.util.concurrent.TimeoutException e) {
                    deleteFinishedFirst = false;
                }
                if (deleteFinishedFirst) {
                    assertEquals(Optional.empty(), b.readSecret(ref, CURRENT), "read while the insert is pending");
                }
                release.countDown();
                delete.get(30, TimeUnit.SECONDS);
                assertEquals("v1", value(read.get(30, TimeUnit.SECONDS)));
            }
            b.readCache().afterCheck(null);
            if (deleteFinishedFirst) {
                assertEquals(1, b.readCache().size(), "the stale read did land in the map after the sweep");
            }
            assertEquals(Optional.empty(), b.readSecret(ref, CURRENT), "and is void");
            assertEquals(Optional.empty(), b.readSecret(ref, CURRENT));
        }
    }

    // ---------------------------------------------------------------- races under load

    /**
     * Writers add versions (and delete and recreate one secret) in a loop, recording what has returned;
     * readers check that every read is at least as new as what had returned before it began, and is
     * self-consistent. The cache's insert hook pauses some readers between their database read and
     * their insert, widening the window in which a write can come between.
     */
    @Test
    void concurrentReadersNeverSeeAStateOlderThanAReturnedWrite() throws Exception {
        try (JdbcStorageBackend b = open(Map.of("sqlite-synchronous", "NORMAL", "max-pool-size", "8"))) {
            b.createIdentity(identity(AGENT, 0));
            int secrets = 3;
            SecretRef[] refs = new SecretRef[secrets];
            AtomicInteger[] returned = new AtomicInteger[secrets];
            for (int i = 0; i < secrets; i++) {
                refs[i] = create(b, "K" + i, "K" + i + "/1");
                returned[i] = new AtomicInteger(1);
            }
            SecretRef cycled = new SecretRef(ORG, AGENT, "CYCLED");
            AtomicLong created = new AtomicLong(); // generation of the last createSecret that returned
            AtomicLong deleted = new AtomicLong(); // generation of the last deleteSecret that returned
            b.readCache().beforeInsert(() -> {
                if (ThreadLocalRandom.current().nextInt(4) == 0) {
                    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(200_000));
                }
            });
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            AtomicLong writes = new AtomicLong();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            long readsFromDatabaseBefore = b.secretReadsFromDatabase();
            try (ExecutorService pool = Executors.newFixedThreadPool(secrets + 1 + 6)) {
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 0; i < secrets; i++) {
                    int s = i;
                    futures.add(pool.submit(() -> {
                        for (int v = 2; !stop.get(); v++) {
                            b.addVersion(metadata(refs[s], v, v - 1, Map.of()), v - 1, version(refs[s], v, "K" + s + "/" + v));
                            returned[s].set(v);
                            writes.incrementAndGet();
                        }
                        return null;
                    }));
                }
                futures.add(pool.submit(() -> {
                    for (long g = 1; !stop.get(); g++) {
                        b.createSecret(metadata(cycled, 1, 0, Map.of()), version(cycled, 1, "gen" + g));
                        created.set(g);
                        b.deleteSecret(cycled, 1);
                        deleted.set(g);
                        writes.addAndGet(2);
                    }
                    return null;
                }));
                for (int r = 0; r < 6; r++) {
                    futures.add(pool.submit(() -> {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        while (!stop.get()) {
                            try {
                                int s = random.nextInt(secrets + 1);
                                if (s == secrets) {
                                    long gone = deleted.get();
                                    Optional<StoredSecret> got = b.readSecret(cycled, CURRENT);
                                    if (got.isPresent()) {
                                        long gen = Long.parseLong(value(got).substring(3));
                                        assertTrue(gen > gone, "read generation " + gen + " after generation "
                                                + gone + " had been deleted");
                                    }
                                } else {
                                    int floor = returned[s].get();
                                    boolean explicit = random.nextInt(4) == 0;
                                    StoredSecret got = b.readSecret(refs[s], explicit ? OptionalInt.of(1 + random.nextInt(floor))
                                            : CURRENT).orElseThrow();
                                    int current = got.metadata().currentVersion();
                                    assertTrue(current >= floor, "read current version " + current + " after version "
                                            + floor + " had been added");
                                    if (!explicit) {
                                        assertEquals(current, got.version().version());
                                    }
                                    assertEquals("K" + s + "/" + got.version().version(),
                                            new String(got.version().value(), UTF_8));
                                }
                                reads.incrementAndGet();
                            } catch (Throwable e) {
                                failures.add(e);
                                stop.set(true);
                            }
                        }
                        return null;
                    }));
                }
                Thread.sleep(4000);
                stop.set(true);
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
            long fromDatabase = b.secretReadsFromDatabase() - readsFromDatabaseBefore;
            assertTrue(writes.get() > 50, writes.get() + " writes");
            assertTrue(reads.get() > 1000, reads.get() + " reads");
            assertTrue(fromDatabase < reads.get(), "some reads were cache hits: " + fromDatabase + " of " + reads.get()
                    + " went to the database");
        }
    }

    /** Waits until the database (read on a connection of its own) has secret K at {@code version}. */
    private void awaitCommittedCurrentVersion(int version) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("anima-vault.db"));
             PreparedStatement ps = c.prepareStatement("SELECT current_version FROM secrets WHERE secret_key = 'K'")) {
            while (true) {
                try (var rs = ps.executeQuery()) {
                    if (rs.next() && rs.getInt(1) == version) {
                        return;
                    }
                }
                assertTrue(System.nanoTime() < deadline, "version " + version + " was not committed");
                Thread.sleep(10);
            }
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
