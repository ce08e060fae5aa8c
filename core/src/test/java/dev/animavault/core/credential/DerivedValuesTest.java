package dev.animavault.core.credential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.MaterializationContext.Derived;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The claim protocol of {@link DerivedValues} between two instances (two "processes") on the real SQLite
 * storage plugin: a holder that stops answering, take-over after the claim expires, a late write of the
 * old holder, reauthorization markers, re-created secrets, and sealing.
 */
class DerivedValuesTest {
    private static final Clock CLOCK = Clock.systemUTC();

    @TempDir
    Path tmp;

    private static DerivedValues.SecretAccess access(Instant createdAt, int version, AtomicInteger reauths) {
        return new DerivedValues.SecretAccess() {
            @Override
            public DerivedValues.Current readCurrent() {
                return new DerivedValues.Current(createdAt, version, SecretValue.ofUtf8("stored-grant"));
            }

            @Override
            public void reauthorizationRequired(int v) {
                reauths.incrementAndGet();
            }
        };
    }

    private static DerivedValues.Produced produced(String value, int version) {
        return new DerivedValues.Produced(new Derived(SecretValue.ofUtf8(value), Instant.now().plusSeconds(60)), version);
    }

    @Test
    void aStalledHolderDelaysOthersOnlyUntilItsClaimExpiresAndItsLateWriteIsDropped() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            StorageBackend storage = vault.node().storage();
            Barrier barrier = Barrier.open(storage, RootKey.loadOrCreate(vault.dataDir().resolve("root.key"), Map.of()),
                    CLOCK);
            DerivedValues a = new DerivedValues(storage, barrier, CLOCK, Duration.ofMillis(1500), Duration.ofSeconds(10));
            DerivedValues bImpatient = new DerivedValues(storage, barrier, CLOCK, Duration.ofMillis(1500),
                    Duration.ofMillis(300));
            DerivedValues b = new DerivedValues(storage, barrier, CLOCK, Duration.ofMillis(1500), Duration.ofSeconds(10));
            SecretRef ref = new SecretRef("default", "agent_x", "K");
            Instant createdAt = Instant.parse("2026-01-01T00:00:00.123456Z");
            AtomicInteger reauths = new AtomicInteger();
            AtomicInteger derivations = new AtomicInteger();

            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Derived> stalled = CompletableFuture.supplyAsync(() -> a.derive(ref, createdAt, 1,
                    access(createdAt, 1, reauths), current -> {
                        holding.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return produced("token-from-the-stalled-holder", 1);
                    }));
            assertTrue(holding.await(10, TimeUnit.SECONDS));

            // another process sees the claim and, past its wait limit, answers 503 with a retry delay
            VaultException busy = assertThrows(VaultException.class, () -> bImpatient.derive(ref, createdAt, 1,
                    access(createdAt, 1, reauths), current -> produced("never", 1)));
            assertEquals(ErrorCode.UPSTREAM_UNAVAILABLE, busy.errorCode());
            assertTrue(busy.retryAfter().isPresent());

            // once the claim expired, one other process takes over and derives
            Derived taken = b.derive(ref, createdAt, 1, access(createdAt, 1, reauths), current -> {
                derivations.incrementAndGet();
                return produced("token-from-the-new-holder", 1);
            });
            assertEquals("token-from-the-new-holder", taken.value().asUtf8());

            // the stalled holder finishes late: its write under the expired claim is dropped
            release.countDown();
            assertEquals("token-from-the-stalled-holder", stalled.get(10, TimeUnit.SECONDS).value().asUtf8());
            Derived cached = b.derive(ref, createdAt, 1, access(createdAt, 1, reauths), current -> {
                throw new AssertionError("a fresh cached value must be served without deriving");
            });
            assertEquals("token-from-the-new-holder", cached.value().asUtf8());
            assertEquals(1, derivations.get());
            assertTrue(b.refreshAt(ref).orElseThrow().isAfter(Instant.now()), "the proactive-refresh seam sees it");

            // sealed: the record holds no plaintext
            StoredRecord record = storage.getRecord(DerivedValues.NAMESPACE, DerivedValues.recordKey(ref)).orElseThrow();
            assertFalse(new String(record.value(), StandardCharsets.ISO_8859_1).contains("token-from"));
            for (Path f : vault.dataFiles()) {
                assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains("token-from-the"),
                        f.getFileName().toString());
            }

            // a secret deleted and created again under the same key never sees the old cache
            Instant recreated = createdAt.plusSeconds(5);
            Derived fresh = b.derive(ref, recreated, 1, access(recreated, 1, reauths), current -> produced("new-secret", 1));
            assertEquals("new-secret", fresh.value().asUtf8());

            // reauthorization is remembered for that version, not for a newer one
            VaultException refused = assertThrows(VaultException.class, () -> b.derive(ref, recreated.plusSeconds(1), 1,
                    access(recreated.plusSeconds(1), 1, reauths), current -> {
                        throw new VaultException(ErrorCode.REAUTHORIZATION_REQUIRED, "refused");
                    }));
            assertEquals(ErrorCode.REAUTHORIZATION_REQUIRED, refused.errorCode());
            assertEquals(1, reauths.get());
            assertEquals(ErrorCode.REAUTHORIZATION_REQUIRED, assertThrows(VaultException.class,
                    () -> a.derive(ref, recreated.plusSeconds(1), 1, access(recreated.plusSeconds(1), 1, reauths),
                            current -> {
                                throw new AssertionError("no call with a refused grant");
                            })).errorCode());
            Derived reauthorized = a.derive(ref, recreated.plusSeconds(1), 2, access(recreated.plusSeconds(1), 2, reauths),
                    current -> produced("after-reauthorization", 2));
            assertEquals("after-reauthorization", reauthorized.value().asUtf8());
        }
    }

    @Test
    void proactiveEntriesAreListedDueWithinTheirLeadAndAFailedRefreshKeepsTheValidValue() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            StorageBackend storage = vault.node().storage();
            Barrier barrier = Barrier.open(storage, RootKey.loadOrCreate(vault.dataDir().resolve("root.key"), Map.of()),
                    CLOCK);
            DerivedValues d = new DerivedValues(storage, barrier, CLOCK, Duration.ofSeconds(5), Duration.ofSeconds(5));
            Instant createdAt = Instant.parse("2026-01-01T00:00:00Z");
            AtomicInteger reauths = new AtomicInteger();
            SecretRef withPolicy = new SecretRef("default", "agent_x", "AHEAD");
            SecretRef without = new SecretRef("default", "agent_x", "ON_READ");
            d.derive(withPolicy, createdAt, 1, access(createdAt, 1, reauths), c -> produced("ahead-1", 1),
                    Duration.ZERO, true);
            d.derive(without, createdAt, 1, access(createdAt, 1, reauths), c -> produced("on-read-1", 1),
                    Duration.ZERO, false);
            // refreshAt is 60 s away: due only with a lead of more than that (half of 60 s caps the lead at 30 s)
            assertTrue(d.due(Duration.ofSeconds(10), 10).isEmpty());
            assertTrue(d.due(Duration.ofSeconds(90), 10).isEmpty(), "the lead is at most half the cached life");

            // a refresh with a lead past refreshAt derives anew even though the value is still fresh for reads
            Derived refreshed = d.derive(withPolicy, createdAt, 1, access(createdAt, 1, reauths),
                    c -> produced("ahead-2", 1), Duration.ofSeconds(90), true);
            assertEquals("ahead-2", refreshed.value().asUtf8());

            // a failed refresh (token endpoint down) puts the still valid value back for reads
            VaultException down = assertThrows(VaultException.class, () -> d.derive(withPolicy, createdAt, 1,
                    access(createdAt, 1, reauths), c -> {
                        throw new VaultException(ErrorCode.UPSTREAM_UNAVAILABLE, "down");
                    }, Duration.ofSeconds(90), true));
            assertEquals(ErrorCode.UPSTREAM_UNAVAILABLE, down.errorCode());
            Derived kept = d.derive(withPolicy, createdAt, 1, access(createdAt, 1, reauths), c -> {
                throw new AssertionError("the valid cached value must still be served");
            });
            assertEquals("ahead-2", kept.value().asUtf8());

            // an entry whose refreshAt is near is due; the one derived without a policy never is
            d.derive(withPolicy, createdAt, 1, access(createdAt, 1, reauths), c -> new DerivedValues.Produced(
                    new Derived(SecretValue.ofUtf8("ahead-short"), Instant.now().plusSeconds(2)), 1),
                    Duration.ofSeconds(90), true);
            d.derive(without, createdAt, 1, access(createdAt, 1, reauths), c -> new DerivedValues.Produced(
                    new Derived(SecretValue.ofUtf8("on-read-short"), Instant.now().plusSeconds(2)), 1),
                    Duration.ofSeconds(90), false);
            Thread.sleep(1_200); // past refreshAt - half the cached life (1 s)
            java.util.List<DerivedValues.Due> due = d.due(Duration.ofSeconds(30), 10);
            assertEquals(1, due.size(), due.toString());
            assertEquals(withPolicy, due.get(0).ref());
        }
    }
}
