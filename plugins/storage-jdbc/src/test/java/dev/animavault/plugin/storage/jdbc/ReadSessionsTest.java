package dev.animavault.plugin.storage.jdbc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReadSessions} behind the per-request reads of {@link JdbcStorageBackend} ({@code readSecret},
 * {@code getSecretMetadata}, {@code getIdentity}, {@code getRecord}): fresh data on every read, broken
 * sessions discarded, close, the session limit and its timeout, and (SQLite) no read transaction held
 * by idle sessions. SQLite runs on a temporary file; the PostgreSQL variants run against the server
 * {@link PostgresTestServer} finds, each in a fresh schema.
 */
class ReadSessionsTest {

    private static final String ORG = "org_rs";
    private static final String AGENT = "agent_1";
    private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z").truncatedTo(ChronoUnit.MICROS);

    @TempDir
    Path dataDir;

    // ================================================================ fixtures

    private Path dbFile() {
        return dataDir.resolve("anima-vault.db");
    }

    /** A SQLite backend without the read cache: these tests are about the reads that reach the database. */
    private JdbcStorageBackend sqlite(Map<String, String> values) {
        Map<String, String> withoutCache = new HashMap<>(values);
        withoutCache.putIfAbsent("read-cache", "off");
        return (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", withoutCache, Set.of()), TestPluginContext.denyingEgress(dataDir));
    }

    /** A PostgreSQL backend in a fresh schema whose connections carry a unique application name. */
    private record Pg(JdbcStorageBackend backend, String schemaUrl, String applicationName) implements AutoCloseable {
        @Override
        public void close() {
            try {
                backend.close();
            } finally {
                PostgresTestServer.dropSchema(schemaUrl);
            }
        }
    }

    private Pg postgres(Map<String, String> values) {
        String schemaUrl = PostgresTestServer.freshSchemaUrl();
        String app = "rs_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try {
            // URL parameters take precedence over the factory's ApplicationName property
            JdbcStorageBackend b = (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                    PostgresTestServer.config(schemaUrl + "&ApplicationName=" + app, values),
                    TestPluginContext.denyingEgress(dataDir));
            return new Pg(b, schemaUrl, app);
        } catch (RuntimeException e) {
            PostgresTestServer.dropSchema(schemaUrl);
            throw e;
        }
    }

    private static SecretVersion version(SecretRef ref, int v) {
        return new SecretVersion(ref, v, ("v" + v).getBytes(UTF_8), NOW, "test");
    }

    private static SecretMetadata metadata(SecretRef ref, int current, long revision) {
        return new SecretMetadata(ref, "password", current, Map.of("c", Integer.toString(current)), Map.of(), NOW,
                NOW, revision);
    }

    /** An identity, a secret at version 1 and a record; returns the secret's ref. */
    private static SecretRef seed(JdbcStorageBackend b) {
        b.createIdentity(new Identity(ORG, AGENT, "Agent", Map.of(), false, NOW, NOW, 0));
        SecretRef ref = new SecretRef(ORG, AGENT, "db/password");
        b.createSecret(metadata(ref, 1, 0), version(ref, 1));
        b.putRecord("ns", "k", new byte[] {1}, 0);
        return ref;
    }

    /** All four per-request reads, each expected to find its item. */
    private static void hotReads(JdbcStorageBackend b, SecretRef ref) {
        assertTrue(b.readSecret(ref, OptionalInt.empty()).isPresent());
        assertTrue(b.readSecret(ref, OptionalInt.of(1)).isPresent());
        assertTrue(b.getSecretMetadata(ref).isPresent());
        assertTrue(b.getIdentity(ORG, AGENT).isPresent());
        assertTrue(b.getRecord("ns", "k").isPresent());
    }

    private static VaultException assertUnavailable(Executable call) {
        VaultException e = assertThrows(VaultException.class, call);
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode(), e.getMessage());
        return e;
    }

    private static void assertUnavailable(Throwable t) {
        if (!(t instanceof VaultException v) || v.errorCode() != ErrorCode.STORAGE_UNAVAILABLE) {
            throw new AssertionError("expected STORAGE_UNAVAILABLE, got " + t, t);
        }
    }

    private static void assertAllReadsUnavailable(JdbcStorageBackend b, SecretRef ref) {
        assertUnavailable(() -> b.readSecret(ref, OptionalInt.empty()));
        assertUnavailable(() -> b.readSecret(ref, OptionalInt.of(1)));
        assertUnavailable(() -> b.getSecretMetadata(ref));
        assertUnavailable(() -> b.getIdentity(ORG, AGENT));
        assertUnavailable(() -> b.getRecord("ns", "k"));
    }

    // ================================================================ 1. committed writes are seen

    @Test
    void sqliteReadsSeeEveryCommittedWriteImmediately() throws Exception {
        try (JdbcStorageBackend b = sqlite(Map.of("max-pool-size", "4"))) {
            readsSeeEveryCommittedWriteImmediately(b);
        }
    }

    @Test
    void sqliteConcurrentReadersNeverSeeLessThanWhatWasCommittedBeforeTheyStarted() throws Exception {
        try (JdbcStorageBackend b = sqlite(Map.of("max-pool-size", "8"))) {
            concurrentReadersSeeCommittedVersions(b);
        }
    }

    @Test
    void postgresReadsSeeEveryCommittedWriteImmediately() throws Exception {
        try (Pg pg = postgres(Map.of("max-pool-size", "4"))) {
            readsSeeEveryCommittedWriteImmediately(pg.backend());
        }
    }

    @Test
    void postgresConcurrentReadersNeverSeeLessThanWhatWasCommittedBeforeTheyStarted() throws Exception {
        try (Pg pg = postgres(Map.of("max-pool-size", "8"))) {
            concurrentReadersSeeCommittedVersions(pg.backend());
        }
    }

    private static void readsSeeEveryCommittedWriteImmediately(JdbcStorageBackend b) {
        SecretRef ref = seed(b);
        SecretMetadata m = b.getSecretMetadata(ref).orElseThrow();
        StoredRecord r = b.getRecord("ns", "k").orElseThrow();
        Identity id = b.getIdentity(ORG, AGENT).orElseThrow();
        for (int v = 2; v <= 60; v++) {
            m = b.addVersion(metadata(ref, v, m.revision()), m.revision(), version(ref, v));
            StoredSecret current = b.readSecret(ref, OptionalInt.empty()).orElseThrow();
            assertEquals(v, current.version().version(), "current version right after addVersion");
            assertArrayEquals(("v" + v).getBytes(UTF_8), current.version().value());
            assertEquals(m, current.metadata());
            assertEquals(m, b.getSecretMetadata(ref).orElseThrow());
            assertArrayEquals(("v" + v).getBytes(UTF_8), b.readSecret(ref, OptionalInt.of(v)).orElseThrow()
                    .version().value());
            assertArrayEquals(("v" + (v - 1)).getBytes(UTF_8), b.readSecret(ref, OptionalInt.of(v - 1)).orElseThrow()
                    .version().value(), "older versions stay readable");
            assertEquals(Optional.empty(), b.readSecret(ref, OptionalInt.of(v + 1)));

            r = b.putRecord("ns", "k", new byte[] {(byte) v}, r.revision());
            StoredRecord read = b.getRecord("ns", "k").orElseThrow();
            assertEquals(r.revision(), read.revision());
            assertArrayEquals(new byte[] {(byte) v}, read.value());

            id = b.updateIdentity(new Identity(ORG, AGENT, "name-" + v, Map.of(), v % 2 == 0, NOW, NOW, 0),
                    id.revision());
            assertEquals(id, b.getIdentity(ORG, AGENT).orElseThrow());
        }
        b.deleteRecord("ns", "k", r.revision());
        assertEquals(Optional.empty(), b.getRecord("ns", "k"), "a delete is seen at once");
        b.deleteSecret(ref, m.revision());
        assertEquals(Optional.empty(), b.readSecret(ref, OptionalInt.empty()));
        assertEquals(Optional.empty(), b.getSecretMetadata(ref));
        b.putRecord("ns", "k", new byte[] {7}, 0);
        assertArrayEquals(new byte[] {7}, b.getRecord("ns", "k").orElseThrow().value(), "a re-create is seen at once");
    }

    /**
     * 50 virtual threads x 200 (or more) reads of the current version while one writer keeps adding versions:
     * every read returns a version at least as new as the last one the writer had committed when the
     * read started, with the value of that version, and never goes backwards for one reader.
     */
    private static void concurrentReadersSeeCommittedVersions(JdbcStorageBackend b) throws Exception {
        SecretRef ref = seed(b);
        AtomicInteger committed = new AtomicInteger(1);
        AtomicBoolean readersDone = new AtomicBoolean();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger versionsDuringReads = new AtomicInteger();
        int readers = 50;
        int reads = 200;
        CountDownLatch start = new CountDownLatch(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> writer = pool.submit(() -> {
                SecretMetadata m = b.getSecretMetadata(ref).orElseThrow();
                start.countDown();
                for (int v = 2; !readersDone.get() && v < 100_000; v++) {
                    m = b.addVersion(metadata(ref, v, m.revision()), m.revision(), version(ref, v));
                    committed.set(v); // after the commit returned
                    versionsDuringReads.incrementAndGet();
                }
                return null;
            });
            assertTrue(start.await(10, TimeUnit.SECONDS));
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < readers; t++) {
                futures.add(pool.submit(() -> {
                    int last = 0;
                    // at least `reads` reads, and on until the writer committed twice during them, for 30 s at
                    // most. Virtual threads are not time-sliced: readers that never block can keep the writer
                    // (parked until its commit is done) off a 2-core machine's two carriers until they are all
                    // done, so the reads beyond `reads` sleep a millisecond first, letting the writer run
                    for (int i = 0; i < reads || versionsDuringReads.get() < 2 && System.nanoTime() < deadline; i++) {
                        if (i >= reads) {
                            Thread.sleep(1);
                        }
                        int before = committed.get();
                        try {
                            StoredSecret s = b.readSecret(ref, OptionalInt.empty()).orElseThrow();
                            int seen = s.version().version();
                            if (seen < before || seen < last) {
                                failures.add(new AssertionError("read version " + seen + " after version " + before
                                        + " was committed (this reader saw " + last + " before)"));
                            }
                            if (s.metadata().currentVersion() != seen
                                    || !new String(s.version().value(), UTF_8).equals("v" + seen)) {
                                failures.add(new AssertionError("inconsistent row for version " + seen));
                            }
                            last = seen;
                            if (i % 10 == 0) {
                                int m = b.getSecretMetadata(ref).orElseThrow().currentVersion();
                                if (m < before) {
                                    failures.add(new AssertionError("metadata at version " + m + " after " + before));
                                }
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            readersDone.set(true);
            writer.get(60, TimeUnit.SECONDS);
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " failed reads, first: " + failures.peek());
            failures.stream().limit(5).forEach(e::addSuppressed);
            throw e;
        }
        assertTrue(versionsDuringReads.get() >= 2, "the writer committed only " + versionsDuringReads.get()
                + " versions while the readers ran");
        assertEquals(committed.get(), b.readSecret(ref, OptionalInt.empty()).orElseThrow().version().version());
    }

    // ================================================================ 2. broken sessions are discarded

    @Test
    void sqliteBrokenSessionsFailOnceEachAndAreNotReused() throws Exception {
        try (JdbcStorageBackend b = sqlite(Map.of("max-pool-size", "4"))) {
            SecretRef ref = seed(b);
            ReadSessions hot = b.readSessions();
            // three idle sessions: two with prepared statements cached, one without
            List<ReadSessions.Session> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(hot.acquire("test"));
            }
            for (ReadSessions.Session s : held.subList(0, 2)) {
                for (int q = 0; q < HotQueries.HOT_QUERIES.length; q++) {
                    s.statement(q);
                }
            }
            List<Connection> broken = new ArrayList<>();
            for (ReadSessions.Session s : held) {
                hot.release(s, true);
                broken.add(s.connection());
            }
            assertEquals(3, hot.openSessions());
            // the connections die while their sessions are idle
            for (Connection c : broken) {
                c.close();
            }

            int failures = 0;
            int firstSuccess = -1;
            for (int i = 0; i < 30; i++) {
                try {
                    switch (i % 4) {
                        case 0 -> assertEquals(1, b.getRecord("ns", "k").orElseThrow().revision());
                        case 1 -> assertEquals(1, b.readSecret(ref, OptionalInt.empty()).orElseThrow().version().version());
                        case 2 -> assertEquals(1, b.getSecretMetadata(ref).orElseThrow().currentVersion());
                        default -> assertEquals("Agent", b.getIdentity(ORG, AGENT).orElseThrow().name());
                    }
                    if (firstSuccess < 0) {
                        firstSuccess = i;
                    }
                } catch (VaultException e) {
                    assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode(), e.getMessage());
                    assertTrue(firstSuccess < 0, "read " + i + " failed after read " + firstSuccess + " had succeeded: "
                            + "a broken session came back");
                    failures++;
                }
            }
            assertEquals(3, failures, "each broken session fails exactly one read, then is gone");
            assertEquals(3, firstSuccess);
            assertEquals(1, hot.openSessions(), "the broken sessions were closed; one fresh session serves");

            // every session handed out now is a fresh, working one
            List<ReadSessions.Session> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                all.add(hot.acquire("test"));
            }
            try {
                for (ReadSessions.Session s : all) {
                    assertFalse(s.connection().isClosed());
                    for (Connection c : broken) {
                        assertNotSame(c, s.connection(), "a broken connection was handed out again");
                    }
                }
            } finally {
                all.forEach(s -> hot.release(s, true));
            }
            hotReads(b, ref);
        }
    }

    @Test
    void postgresBrokenConnectionsFailAtMostOnceEachAndAreReplaced() throws Exception {
        int poolSize = 3;
        try (Pg pg = postgres(Map.of("max-pool-size", Integer.toString(poolSize)))) {
            JdbcStorageBackend b = pg.backend();
            SecretRef ref = seed(b);
            // use every pooled connection
            runConcurrently(8, 20, () -> hotReads(b, ref));
            int killed = terminate(pg.applicationName());
            assertTrue(killed >= 1, "no connection of the backend was found to terminate");

            int failures = 0;
            int lastFailure = -1;
            for (int i = 0; i < 40; i++) {
                try {
                    assertEquals(1, b.getRecord("ns", "k").orElseThrow().revision());
                    assertEquals(1, b.readSecret(ref, OptionalInt.empty()).orElseThrow().version().version());
                } catch (VaultException e) {
                    assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode(), e.getMessage());
                    failures++;
                    lastFailure = i;
                }
            }
            assertTrue(failures <= killed, failures + " failed reads for " + killed + " broken connections");
            assertTrue(lastFailure < 10, "read " + lastFailure + " of 40 failed: a broken connection was reused");
            runConcurrently(8, 20, () -> hotReads(b, ref));
        }
    }

    /** Terminates the server connections with this application name; returns how many. */
    private static int terminate(String applicationName) throws SQLException, InterruptedException {
        PostgresTestServer.Server s = PostgresTestServer.get();
        try (Connection c = DriverManager.getConnection(s.url(), s.user(), s.password());
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                     + "FROM pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, applicationName);
            // the pool (and the outage breaker's probe) may open a replacement while the first ones die:
            // terminate those too, until none is left, within the same 5 s bound
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int n = 0;
            int left;
            do {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n += rs.getInt(1);
                }
                Thread.sleep(20);
                left = serverConnections(applicationName);
                if (left != 0 && System.nanoTime() > deadline) {
                    fail(left + " server connections named " + applicationName + ", expected 0");
                }
            } while (left != 0);
            return n;
        }
    }

    /** The number of server connections with this application name. */
    private static int serverConnections(String applicationName) throws SQLException {
        PostgresTestServer.Server s = PostgresTestServer.get();
        try (Connection c = DriverManager.getConnection(s.url(), s.user(), s.password());
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static void awaitServerConnections(String applicationName, int expected)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int n;
        while ((n = serverConnections(applicationName)) != expected) {
            if (System.nanoTime() > deadline) {
                fail(n + " server connections named " + applicationName + ", expected " + expected);
            }
            Thread.sleep(20);
        }
    }

    // ================================================================ 3. close

    @Test
    void sqliteCloseFailsReadsCleanlyIsIdempotentAndLeavesNoConnectionOpen() throws Exception {
        JdbcStorageBackend b = sqlite(Map.of("max-pool-size", "6"));
        SecretRef ref = seed(b);
        ReadSessions hot = b.readSessions();
        runConcurrently(6, 30, () -> hotReads(b, ref));
        // all six sessions open; below, one is held and three readers use at most three: two or more
        // are always idle when close() runs
        List<ReadSessions.Session> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(hot.acquire("test"));
        }
        all.forEach(s -> hot.release(s, true));
        assertEquals(6, hot.openSessions());
        assertTrue(openHandles(dbFile()) != 0, "the open database file is visible in /proc/self/fd");

        // readers racing with close() fail with STORAGE_UNAVAILABLE only
        int readers = 3;
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger succeeded = new AtomicInteger();
        ReadSessions.Session inUse = hot.acquire("test"); // in use across close()
        CountDownLatch running = new CountDownLatch(readers);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < readers; t++) {
                pool.submit(() -> {
                    running.countDown();
                    running.await(); // all started before anyone hogs a carrier thread
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (System.nanoTime() < deadline) {
                        try {
                            hotReads(b, ref);
                            succeeded.incrementAndGet();
                        } catch (Throwable e) {
                            failures.add(e);
                            return null;
                        }
                        Thread.yield();
                    }
                    return null;
                });
            }
            assertTrue(running.await(10, TimeUnit.SECONDS));
            Thread.sleep(50);
            b.close();
        }
        assertTrue(succeeded.get() > 0);
        assertEquals(readers, failures.size(), "every reader ended with a failure after close()");
        failures.forEach(ReadSessionsTest::assertUnavailable);
        assertEquals(1, hot.openSessions(), "the backend's close() closed every session but the one in use");

        b.close(); // idempotent
        hot.close();
        assertAllReadsUnavailable(b, ref);
        // ReadSessions itself refuses after close(), with the backend's check out of the way
        assertUnavailable(() -> hot.acquire("getRecord"));
        assertEquals(1, hot.openSessions(), "only the session still in use is open");
        assertFalse(inUse.connection().isClosed());
        hot.release(inUse, true);
        assertTrue(inUse.connection().isClosed(), "a session given back after close() is closed");
        assertEquals(0, hot.openSessions());

        long handles = openHandles(dbFile());
        assertTrue(handles <= 0, handles + " file handles on the database remain open");
        assertWalTruncates(dbFile(), 2000);
    }

    @Test
    void postgresCloseFailsReadsCleanlyIsIdempotentAndLeavesNoConnectionOpen() throws Exception {
        try (Pg pg = postgres(Map.of("max-pool-size", "4"))) {
            JdbcStorageBackend b = pg.backend();
            SecretRef ref = seed(b);
            runConcurrently(8, 20, () -> hotReads(b, ref));
            assertTrue(serverConnections(pg.applicationName()) > 0);
            b.close();
            b.close();
            b.readSessions().close();
            assertAllReadsUnavailable(b, ref);
            assertEquals(0, b.readSessions().openSessions());
            awaitServerConnections(pg.applicationName(), 0);
        }
    }

    // ================================================================ 4. the session limit

    @Test
    void sqliteSessionLimitHoldsAndAWaiterBeyondTheTimeoutGetsStorageUnavailable() throws Exception {
        try (JdbcStorageBackend b = sqlite(Map.of("max-pool-size", "2", "connection-timeout", "1s"))) {
            SecretRef ref = seed(b);
            ReadSessions hot = b.readSessions();
            AtomicInteger inUse = new AtomicInteger();
            AtomicInteger maxInUse = new AtomicInteger();
            AtomicInteger maxOpen = new AtomicInteger();
            AtomicBoolean done = new AtomicBoolean();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                pool.submit(() -> {
                    while (!done.get()) {
                        maxOpen.accumulateAndGet(hot.openSessions(), Math::max);
                        LockSupport.parkNanos(50_000);
                    }
                    return null;
                });
                List<Future<?>> futures = new ArrayList<>();
                // 8 slow readers: each holds a session 15 ms around a real read on it
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 4; i++) {
                            ReadSessions.Session s = hot.acquire("slow read");
                            boolean healthy = false;
                            try {
                                maxInUse.accumulateAndGet(inUse.incrementAndGet(), Math::max);
                                maxOpen.accumulateAndGet(hot.openSessions(), Math::max);
                                PreparedStatement ps = s.statement(HotQueries.RECORD_BY_KEY);
                                ps.setString(1, "ns");
                                ps.setString(2, "k");
                                try (ResultSet rs = ps.executeQuery()) {
                                    assertTrue(rs.next());
                                }
                                Thread.sleep(15);
                                inUse.decrementAndGet();
                                healthy = true;
                            } finally {
                                hot.release(s, healthy);
                            }
                        }
                        return null;
                    }));
                }
                // and 8 ordinary readers through the backend, competing for the same two sessions
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 20; i++) {
                            try {
                                hotReads(b, ref);
                            } catch (Throwable e) {
                                failures.add(e);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(30, TimeUnit.SECONDS);
                }
                done.set(true);
            }
            assertTrue(failures.isEmpty(), () -> "reads failed: " + failures);
            assertEquals(2, maxInUse.get(), "8 slow readers held at most 2 sessions at once, and did reach 2");
            assertTrue(maxOpen.get() <= 2, maxOpen.get() + " sessions were open at once, max-pool-size is 2");
            assertEquals(2, hot.openSessions());

            // both sessions taken: a read waits connection-timeout, then fails; it does not hang
            ReadSessions.Session s1 = hot.acquire("test");
            ReadSessions.Session s2 = hot.acquire("test");
            try {
                assertWaiterTimesOut(() -> b.getRecord("ns", "k"), 1000);
                assertWaiterTimesOut(() -> b.readSecret(ref, OptionalInt.empty()), 1000);
                assertEquals(2, hot.openSessions(), "no session was opened beyond the limit");
            } finally {
                hot.release(s1, true);
                hot.release(s2, true);
            }
            hotReads(b, ref);
            assertEquals(2, hot.openSessions());
        }
    }

    @Test
    void postgresSessionLimitHoldsAndAWaiterBeyondTheTimeoutGetsStorageUnavailable() throws Exception {
        try (Pg pg = postgres(Map.of("max-pool-size", "2", "connection-timeout", "1s"))) {
            JdbcStorageBackend b = pg.backend();
            SecretRef ref = seed(b);
            ReadSessions hot = b.readSessions();
            AtomicInteger inUse = new AtomicInteger();
            AtomicInteger maxInUse = new AtomicInteger();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 3; i++) {
                            ReadSessions.Session s = hot.acquire("slow read");
                            boolean healthy = false;
                            try {
                                maxInUse.accumulateAndGet(inUse.incrementAndGet(), Math::max);
                                PreparedStatement ps = s.statement(HotQueries.RECORD_BY_KEY);
                                ps.setString(1, "ns");
                                ps.setString(2, "k");
                                try (ResultSet rs = ps.executeQuery()) {
                                    assertTrue(rs.next());
                                }
                                Thread.sleep(15);
                                inUse.decrementAndGet();
                                healthy = true;
                            } finally {
                                hot.release(s, healthy);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(30, TimeUnit.SECONDS);
                }
            }
            assertEquals(2, maxInUse.get());
            assertTrue(serverConnections(pg.applicationName()) <= 2);

            ReadSessions.Session s1 = hot.acquire("test");
            ReadSessions.Session s2 = hot.acquire("test");
            try {
                assertWaiterTimesOut(() -> b.getRecord("ns", "k"), 1000);
                assertTrue(serverConnections(pg.applicationName()) <= 2);
            } finally {
                hot.release(s1, true);
                hot.release(s2, true);
            }
            hotReads(b, ref);
        }
    }

    private static void assertWaiterTimesOut(Executable read, long timeoutMillis) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            Future<VaultException> f = pool.submit(() -> assertUnavailable(read));
            VaultException e = f.get(timeoutMillis + 5000, TimeUnit.MILLISECONDS); // not hanging
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waited >= timeoutMillis - 50, "gave up after " + waited + " ms: " + e.getMessage());
        }
    }

    // ================================================================ 5. idle sessions hold no snapshot

    @Test
    void sqliteIdleSessionsHoldNoReadTransaction() throws Exception {
        try (JdbcStorageBackend b = sqlite(Map.of("max-pool-size", "4"))) {
            SecretRef ref = seed(b);
            ReadSessions hot = b.readSessions();
            // several sessions, each having run hot queries that found a row and ones that found none
            runConcurrently(8, 30, () -> {
                hotReads(b, ref);
                assertEquals(Optional.empty(), b.getRecord("ns", "missing"));
                assertEquals(Optional.empty(), b.readSecret(ref, OptionalInt.of(99)));
                assertEquals(Optional.empty(), b.getIdentity(ORG, "nobody"));
            });
            assertTrue(hot.openSessions() >= 2, hot.openSessions() + " sessions");
            for (int i = 0; i < 20; i++) {
                b.putRecord("ns", "w" + i, new byte[1024], 0); // the WAL grows
            }
            assertTrue(Files.size(walFile(dbFile())) > 0);
            assertWalTruncates(dbFile(), 2000);

            // control: a session in the middle of a read does hold a snapshot, and the check sees it
            ReadSessions.Session s = hot.acquire("test");
            boolean released = false;
            try {
                PreparedStatement ps = s.statement(HotQueries.RECORD_BY_KEY);
                ps.setString(1, "ns");
                ps.setString(2, "k");
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next()); // the read transaction is open until the result set closes
                    b.putRecord("ns", "during", new byte[1024], 0);
                    assertEquals(1, walCheckpointTruncate(dbFile(), 100)[0], "an open read blocks the checkpoint");
                }
                hot.release(s, true);
                released = true;
            } finally {
                if (!released) {
                    hot.release(s, false);
                }
            }
            assertWalTruncates(dbFile(), 2000);
            // and the idle sessions still read what is committed
            assertTrue(b.getRecord("ns", "during").isPresent());
            hotReads(b, ref);
            assertWalTruncates(dbFile(), 2000);
        }
    }

    // ================================================================ helpers

    /** Runs {@code body} {@code times} times on each of {@code threads} virtual threads; rethrows the first failure. */
    private static void runConcurrently(int threads, int times, ThrowingRunnable body) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < times; i++) {
                        body.run();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static Path walFile(Path db) {
        return db.resolveSibling(db.getFileName() + "-wal");
    }

    /** {@code PRAGMA wal_checkpoint(TRUNCATE)} on a fresh connection: {busy, log frames, checkpointed frames}. */
    private static int[] walCheckpointTruncate(Path db, int busyTimeoutMillis) throws SQLException {
        Properties p = new Properties();
        p.setProperty("busy_timeout", Integer.toString(busyTimeoutMillis));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db, p);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
            assertTrue(rs.next());
            return new int[] {rs.getInt(1), rs.getInt(2), rs.getInt(3)};
        }
    }

    /** A TRUNCATE checkpoint succeeds (no reader holds a snapshot) and leaves an empty WAL. */
    private static void assertWalTruncates(Path db, int busyTimeoutMillis) throws SQLException, IOException {
        int[] r = walCheckpointTruncate(db, busyTimeoutMillis);
        assertEquals(0, r[0], "wal_checkpoint(TRUNCATE) reported busy: a connection holds a read transaction");
        Path wal = walFile(db);
        long size = Files.exists(wal) ? Files.size(wal) : 0;
        assertEquals(0, size, "the WAL was not truncated");
    }

    /**
     * The file descriptors of this process open on the database file or its -wal/-shm files; -1 where
     * /proc/self/fd is not available.
     */
    private static long openHandles(Path db) {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        String name = db.toAbsolutePath().toString();
        Set<String> files = Set.of(name, name + "-wal", name + "-shm", name + "-journal");
        Map<String, Integer> seen = new HashMap<>();
        try (Stream<Path> list = Files.list(fds)) {
            list.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (files.contains(target)) {
                        seen.merge(target, 1, Integer::sum);
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // closed meanwhile, or not a link
                }
            });
        } catch (IOException e) {
            return -1;
        }
        return seen.values().stream().mapToInt(Integer::intValue).sum();
    }
}
