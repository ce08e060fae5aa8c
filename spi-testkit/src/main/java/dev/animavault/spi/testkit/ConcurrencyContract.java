package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageContractSupport.runConcurrently;
import static dev.animavault.spi.testkit.StorageFixtures.identity;
import static dev.animavault.spi.testkit.StorageFixtures.secret;
import static dev.animavault.spi.testkit.StorageFixtures.utf8;
import static dev.animavault.spi.testkit.StorageFixtures.version;
import static dev.animavault.spi.testkit.StorageFixtures.withCurrent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Writes from many threads: conditional updates never lose an update, concurrent {@code addVersion} never
 * loses a version, exactly one of racing creates wins. Sized by {@link StorageBackendContract#concurrentWriters()}
 * and {@link StorageBackendContract#updatesPerWriter()}. Implemented by {@link StorageBackendContract}.
 */
interface ConcurrencyContract extends StorageContractGroup {
    @Test
    default void concurrentConditionalUpdatesOfOneRecordLoseNothing() throws Exception {
        int writers = contract().concurrentWriters();
        int perWriter = contract().updatesPerWriter();
        backend().putRecord(namespace(), "counter", utf8("0"), 0);
        Set<Long> successfulRevisions = ConcurrentHashMap.newKeySet();
        Set<Long> consumedExpectations = ConcurrentHashMap.newKeySet();
        AtomicInteger conflicts = new AtomicInteger();

        runConcurrently(writers, w -> {
            long lastSeenByMe = 0;
            for (int done = 0; done < perWriter; ) {
                StoredRecord current = backend().getRecord(namespace(), "counter").orElseThrow();
                long n = Long.parseLong(new String(current.value(), StandardCharsets.US_ASCII));
                try {
                    StoredRecord written = backend().putRecord(namespace(), "counter",
                            Long.toString(n + 1).getBytes(StandardCharsets.US_ASCII), current.revision());
                    assertTrue(written.revision() > current.revision(),
                            "new revision " + written.revision() + " > read revision " + current.revision());
                    assertTrue(written.revision() > lastSeenByMe, "revisions one writer sees strictly increase");
                    assertTrue(successfulRevisions.add(written.revision()),
                            "two writes succeeded with revision " + written.revision());
                    assertTrue(consumedExpectations.add(current.revision()),
                            "two writers both succeeded against expected revision " + current.revision());
                    lastSeenByMe = written.revision();
                    done++;
                } catch (VaultException e) {
                    if (e.errorCode() != ErrorCode.REVISION_CONFLICT) {
                        throw e;
                    }
                    conflicts.incrementAndGet();
                }
            }
        });

        StoredRecord end = backend().getRecord(namespace(), "counter").orElseThrow();
        assertEquals(Long.toString((long) writers * perWriter), new String(end.value(), StandardCharsets.US_ASCII),
                "final counter (" + conflicts.get() + " conflicts were retried)");
        assertEquals(writers * perWriter, successfulRevisions.size());
        assertEquals(successfulRevisions.stream().mapToLong(Long::longValue).max().orElseThrow(), end.revision(),
                "the stored revision is the last successful one");
    }

    @Test
    default void concurrentAddVersionLosesNoVersion() throws Exception {
        int writers = contract().concurrentWriters();
        int perWriter = 25;
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "ROTATING");
        backend().createSecret(secret(ref), version(ref, 1, "w-initial"));
        Set<String> written = ConcurrentHashMap.newKeySet();

        runConcurrently(writers, w -> {
            for (int i = 0; i < perWriter; i++) {
                String value = "w" + w + "-" + i;
                while (true) {
                    SecretMetadata m = backend().getSecretMetadata(ref).orElseThrow();
                    int next = m.currentVersion() + 1; // every add makes its version current
                    try {
                        SecretMetadata after = backend().addVersion(withCurrent(m, next), m.revision(),
                                version(ref, next, value));
                        assertEquals(next, after.currentVersion());
                        assertTrue(written.add(value));
                        break;
                    } catch (VaultException e) {
                        // another writer got in between the two reads or before the write
                        if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                            throw e;
                        }
                    }
                }
            }
        });

        int total = writers * perWriter + 1;
        List<SecretVersion> versions = backend().listVersions(ref);
        assertEquals(IntStream.rangeClosed(1, total).boxed().toList(),
                versions.stream().map(SecretVersion::version).toList(), "versions 1.." + total + " without gaps");
        Set<String> stored = versions.stream().skip(1).map(v -> new String(v.value(), StandardCharsets.UTF_8))
                .collect(Collectors.toSet());
        assertEquals(written, stored, "every successfully added value is stored exactly once");
        StoredSecret current = backend().readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(total, current.metadata().currentVersion());
        assertEquals(versions.get(total - 1), current.version());
    }

    @Test
    default void racingCreatesHaveExactlyOneWinner() throws Exception {
        int writers = contract().concurrentWriters();
        AtomicInteger identityWins = new AtomicInteger();
        AtomicInteger recordWins = new AtomicInteger();
        AtomicInteger secretWins = new AtomicInteger();
        backend().createIdentity(identity(org(), "owner"));
        for (int round = 0; round < 5; round++) {
            String id = "racer_" + round;
            String key = "race-" + round;
            SecretRef sref = new SecretRef(org(), "owner", "RACE_" + round);
            runConcurrently(writers, w -> {
                expectWinOrAlreadyExists(identityWins, () -> backend().createIdentity(identity(org(), id, Map.of("w", "" + w))));
                expectWinOrAlreadyExists(recordWins, () -> backend().putRecord(namespace(), key, utf8("w" + w), 0));
                expectWinOrAlreadyExists(secretWins,
                        () -> backend().createSecret(secret(sref), version(sref, 1, "w" + w)));
            });
            assertEquals(round + 1, identityWins.get(), "one identity create wins in round " + round);
            assertEquals(round + 1, recordWins.get(), "one record create wins in round " + round);
            assertEquals(round + 1, secretWins.get(), "one secret create wins in round " + round);
            assertEquals(1, backend().listVersions(sref).size());
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void expectWinOrAlreadyExists(AtomicInteger wins, Executable create) {
        try {
            create.execute();
            wins.incrementAndGet();
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                throw e;
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
