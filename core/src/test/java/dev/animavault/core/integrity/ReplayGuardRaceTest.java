package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay guard and reads that race this node's own writes, over the real SQLite storage plugin. The
 * interleaving PostgresOutageTest once hit under load (a 500 {@code integrity_error} "an older row was put
 * back (replay)" on a plain read) is driven here deterministically: the backend underneath runs a write
 * through the integrity layer right after a read has taken its row from storage and before the layer checks
 * it, on the first read and on its re-read. Each such write is acknowledged after the read's row was
 * taken, so that row is legitimately older: a race, not a replay. Also: a secret deleted and created again
 * as it was (its first row's MAC is the one the delete retired) is no replay either.
 */
class ReplayGuardRaceTest {
    @TempDir
    Path tmp;
    SqliteFixture fixture;
    StorageBackend raw;
    Barrier barrier;
    final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    final SecretRef ref = new SecretRef("default", "load", "W0");

    /** Runs after each read of the backend underneath while it counts down (the racing write). */
    private volatile Runnable afterRead = () -> { };
    private final AtomicInteger racingWrites = new AtomicInteger();
    private IntegrityStorage s;

    @BeforeEach
    void open() {
        fixture = new SqliteFixture(tmp);
        raw = fixture.raw;
        barrier = fixture.barrier;
        s = IntegrityStorage.wrap(racing(raw), barrier, List.of("orgs", "tokens"));
        s.upgrade();
        s.putRecord("orgs", "default", "{}".getBytes(StandardCharsets.UTF_8), 0);
        s.createIdentity(new dev.animavault.spi.storage.Identity("default", "load", "Load", Map.of(), false, now, now, 0));
        s.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of(), Map.of(), now, now, 0),
                new SecretVersion(ref, 1, barrier.seal(ref, 1, new byte[] {1}), now, "test"));
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    /**
     * The real backend, with {@link #afterRead} run between a per-request read's answer and its return
     * (the window in which a read on a loaded machine may sit while another thread's write is acknowledged).
     */
    private StorageBackend racing(StorageBackend backend) {
        Set<String> reads = Set.of("readSecret", "getSecretMetadata", "getRecord");
        return (StorageBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {StorageBackend.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(backend, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (reads.contains(method.getName()) && racingWrites.getAndDecrement() > 0) {
                        afterRead.run();
                    }
                    return result;
                });
    }

    /** A new version of the secret written through the integrity layer (as the write path does). */
    private void writeVersion() {
        SecretMetadata m = raw.getSecretMetadata(ref).orElseThrow();
        int next = m.currentVersion() + 1;
        s.addVersion(new SecretMetadata(ref, m.type(), next, m.metadata(), m.attributes(), m.createdAt(), now,
                m.revision()), m.revision(), new SecretVersion(ref, next, barrier.seal(ref, next, new byte[] {(byte) next}),
                now, "test"));
    }

    private long revision() {
        return raw.getSecretMetadata(ref).orElseThrow().revision();
    }

    @Test
    void aReadRacingTwoWritesInARowIsServedNotRefusedAsAReplay() {
        assertEquals(1, s.readSecret(ref, OptionalInt.empty()).orElseThrow().metadata().revision(), "guard saw r1");
        afterRead = this::writeVersion;
        racingWrites.set(2); // the read and, if it reads again, its re-read each race one write

        var read = s.readSecret(ref, OptionalInt.empty()).orElseThrow();

        assertTrue(read.metadata().revision() >= 1, "a row at least as new as the one known before the read");
        racingWrites.set(0);
        assertEquals(revision(), s.readSecret(ref, OptionalInt.empty()).orElseThrow().metadata().revision());
    }

    @Test
    void metadataReadRacingTwoWritesInARowIsServed() {
        assertEquals(1, s.getSecretMetadata(ref).orElseThrow().revision());
        afterRead = this::writeVersion;
        racingWrites.set(2);

        assertTrue(s.getSecretMetadata(ref).isPresent());
        racingWrites.set(0);
        assertEquals(revision(), s.getSecretMetadata(ref).orElseThrow().revision());
    }

    @Test
    void recordReadRacingTwoWritesInARowIsServed() {
        s.putRecord("tokens", "t1", "v1".getBytes(StandardCharsets.UTF_8), 0);
        assertEquals(1, s.getRecord("tokens", "t1").orElseThrow().revision());
        afterRead = () -> {
            StoredRecord r = raw.getRecord("tokens", "t1").orElseThrow();
            s.putRecord("tokens", "t1", ("v" + (r.revision() + 1)).getBytes(StandardCharsets.UTF_8), r.revision());
        };
        racingWrites.set(2);

        assertTrue(s.getRecord("tokens", "t1").isPresent());
        racingWrites.set(0);
        StoredRecord latest = s.getRecord("tokens", "t1").orElseThrow();
        assertEquals("v" + latest.revision(), new String(latest.value(), StandardCharsets.UTF_8));
        assertTrue(latest.revision() >= 2);
    }

    @Test
    void anOlderRowPutBackIsStillRefusedAsAReplay() {
        SecretMetadata old = raw.getSecretMetadata(ref).orElseThrow(); // r1 with its valid MAC
        s.readSecret(ref, OptionalInt.empty()).orElseThrow();
        writeVersion(); // r2: r1's MAC retired
        writeVersion(); // r3
        s.readSecret(ref, OptionalInt.empty()).orElseThrow();
        // r1's row put back as it was (the storage layer bumps the revision; the MAC still names r1's write)
        raw.updateSecretMetadata(old, revision());
        VaultException e = SqliteFixture.refused(() -> s.readSecret(ref, OptionalInt.empty()));
        assertTrue(e.getMessage().contains("replay"), e.getMessage());
    }

    @Test
    void aSecretDeletedAndCreatedAgainAsItWasIsServed() {
        // the same first row again (same metadata, revision 1, basedOn 0) carries the same MAC as the deleted one
        assertTrue(s.readSecret(ref, OptionalInt.empty()).isPresent());
        s.deleteSecret(ref, revision());
        s.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of(), Map.of(), now, now, 0),
                new SecretVersion(ref, 1, barrier.seal(ref, 1, new byte[] {2}), now, "test"));
        assertEquals(1, s.readSecret(ref, OptionalInt.empty()).orElseThrow().metadata().revision());
        assertEquals(1, s.getSecretMetadata(ref).orElseThrow().revision());
    }
}
