package dev.animavault.core.barrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.SqlitePluginStorage;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyring changes seen by two barriers over the same real storage (two nodes): a rotation on one is
 * picked up by the other without restart, racing rotations add one key, format 1 keyrings stay readable,
 * removed keys no longer open anything, and encryption counts are durable and shared.
 */
class KeyringChangeTest {
    @TempDir
    Path tmp;
    SqlitePluginStorage plugin;
    StorageBackend storage;
    RootKey root;

    @BeforeEach
    void open() {
        plugin = new SqlitePluginStorage(tmp);
        storage = plugin.storage;
        root = RootKey.loadOrCreate(tmp.resolve("root.key"), Map.of());
    }

    @AfterEach
    void close() {
        plugin.close();
    }

    @Test
    void aRotationOnOneNodeIsPickedUpByAnotherWithoutRestart() {
        Barrier a = Barrier.open(storage, root, Clock.systemUTC());
        Barrier b = Barrier.open(storage, root, Clock.systemUTC());
        SecretRef ref = new SecretRef("org", "agent", "KEY");
        byte[] old = a.seal(ref, 1, bytes("before"));
        assertEquals(2, a.rotateDataKey(1));
        byte[] sealedByA = a.seal(ref, 2, bytes("after"));
        assertEquals(2, Barrier.keyIdOf(sealedByA));
        assertEquals(1, b.activeKeyId(), "b has not looked yet");
        assertArrayEquals(bytes("after"), b.open(ref, 2, sealedByA), "an unknown key id makes b read the keyring");
        assertEquals(2, b.activeKeyId());
        assertArrayEquals(bytes("before"), b.open(ref, 1, old), "the old key still opens old values");

        byte[] moved = b.reseal(ref, 1, old);
        assertEquals(2, Barrier.keyIdOf(moved));
        assertEquals(null, b.reseal(ref, 1, moved), "already on the active key");
        b.removeDataKeys(Set.of(1, 2));
        assertFalse(b.refresh(), "b wrote it and knows it");
        assertEquals(Set.of(2), b.dataKeyIds(), "never the active key");
        assertTrue(a.refresh());
        assertEquals(ErrorCode.INTEGRITY_ERROR, assertThrows(VaultException.class, () -> a.open(ref, 1, old))
                .errorCode(), "a removed key opens nothing");
        assertArrayEquals(bytes("before"), a.open(ref, 1, moved));
    }

    @Test
    void auditKeyVersionsAreSharedKeptAndLeaveTheDerivedSigningKeyAlone() {
        Barrier a = Barrier.open(storage, root, Clock.systemUTC());
        Barrier b = Barrier.open(storage, root, Clock.systemUTC());
        byte[] id = bytes("tok_1234");
        byte[] v1 = a.auditFieldMac(1, id).orElseThrow();
        byte[] signing = a.deriveAuditKey("checkpoint").getEncoded();
        assertEquals(1, a.auditKeyVersion());
        assertTrue(a.auditFieldMac(2, id).isEmpty(), "no version 2 yet");

        assertEquals(2, a.rotateAuditKey(1));
        assertEquals(2, a.rotateAuditKey(1), "a stale expectation changes nothing");
        assertEquals(List.of(2, 1), a.auditKeyVersions());
        byte[] v2 = a.auditFieldMac(2, id).orElseThrow();
        assertFalse(java.util.Arrays.equals(v1, v2), "a new version hashes differently");
        assertArrayEquals(v1, a.auditFieldMac(1, id).orElseThrow(), "version 1 is kept and unchanged");
        assertArrayEquals(v2, b.auditFieldMac(2, id).orElseThrow(), "another node finds version 2 by refreshing");
        assertEquals(2, b.auditKeyVersion());
        assertArrayEquals(signing, b.deriveAuditKey("checkpoint").getEncoded(), "derived keys stay on version 1");
        assertFalse(java.util.Arrays.equals(v1, a.deriveAuditKey(Barrier.AUDIT_FIELD_PURPOSE).getEncoded()));

        Barrier reopened = Barrier.open(storage, root, Clock.systemUTC());
        assertEquals(List.of(2, 1), reopened.auditKeyVersions(), "versions are in the stored keyring");
        assertArrayEquals(v1, reopened.auditFieldMac(1, id).orElseThrow());
        assertArrayEquals(v2, reopened.auditFieldMac(2, id).orElseThrow());
        assertEquals(2, reopened.rotateDataKey(1), "a data key rotation keeps the audit keys");
        assertEquals(List.of(2, 1), reopened.auditKeyVersions());
    }

    @Test
    void racingRotationsFromTheSameKeyAddOneKey() throws Exception {
        int nodes = 4;
        List<Barrier> barriers = new java.util.ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            barriers.add(Barrier.open(storage, root, Clock.systemUTC()));
        }
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        try {
            List<Future<Integer>> results = new java.util.ArrayList<>();
            for (Barrier b : barriers) {
                results.add(pool.submit(() -> {
                    go.await();
                    return b.rotateDataKey(1);
                }));
            }
            go.countDown();
            for (Future<Integer> f : results) {
                assertEquals(2, f.get(), "every node ends on the one new key");
            }
        } finally {
            pool.shutdownNow();
        }
        Barrier fresh = Barrier.open(storage, root, Clock.systemUTC());
        assertEquals(Set.of(1, 2), fresh.dataKeyIds());
    }

    @Test
    void encryptionsAreCountedDurablyInReservedBlocksAcrossNodes() {
        Barrier a = Barrier.open(storage, root, Clock.systemUTC());
        Barrier b = Barrier.open(storage, root, Clock.systemUTC());
        AtomicInteger told = new AtomicInteger();
        a.configureUsage(5, 20, id -> told.incrementAndGet());
        b.configureUsage(5, 20, id -> told.incrementAndGet());
        SecretRef ref = new SecretRef("org", "agent", "KEY");
        for (int i = 0; i < 7; i++) {
            a.seal(ref, 1, bytes("x"));
        }
        b.seal(ref, 1, bytes("y"));
        // a reserved 5 + 5, b 5: never fewer than the 8 made
        assertEquals(15, a.view().keys().get(0).encryptions());
        assertEquals(0, told.get());
        for (int i = 0; i < 5; i++) {
            b.seal(ref, 1, bytes("y")); // b's block of 5 is used up, the next reservation reaches 20: the threshold
        }
        assertEquals(20, b.view().active().encryptions());
        assertEquals(1, told.get(), "the threshold asks for a rotation");
        Barrier restarted = Barrier.open(storage, root, Clock.systemUTC());
        assertEquals(20, restarted.view().active().encryptions(), "the count survives a restart");
    }

    @Test
    void tokenKeyVersionsVerifyUntilTheirDeadline() {
        Clock clock = Clock.systemUTC();
        Barrier a = Barrier.open(storage, root, clock);
        byte[] v1 = a.activeTokenMac(bytes("token")).mac();
        assertEquals(1, a.activeTokenMac(bytes("token")).version());
        Instant retire = clock.instant().plusSeconds(3600);
        assertEquals(2, a.rotateTokenKey(1, retire));
        assertEquals(2, a.rotateTokenKey(1, retire), "another node rotated already: nothing done");
        assertArrayEquals(v1, a.tokenMac(1, bytes("token")).orElseThrow(), "version 1 still verifies");
        assertFalse(java.util.Arrays.equals(v1, a.activeTokenMac(bytes("token")).mac()));
        assertEquals(List.of(2, 1), a.liveTokenKeyVersions());
        assertEquals(retire, a.view().tokenKeys().get(1).retiresAt());
        a.rotateTokenKey(2, clock.instant().minusSeconds(1));
        assertTrue(a.tokenMac(1, bytes("token")).isEmpty(), "past its deadline");
        assertTrue(a.tokenMac(2, bytes("token")).isEmpty());
        assertEquals(List.of(3), a.liveTokenKeyVersions());
    }

    @Test
    void aFormatOneKeyringOpensAndIsConvertedOnTokenKeyRotation() {
        // the keyring as written before versions: one tokenKey, no tokenKeys
        String legacy = "{\"format\":1,\"active\":1,\"keys\":[{\"id\":1,\"created\":\"2026-01-01T00:00:00Z\",\"key\":\""
                + b64(1) + "\"}],\"tokenKey\":\"" + b64(2) + "\",\"auditKey\":\"" + b64(3) + "\",\"rootKeyId\":\"kept\"}";
        byte[] sealed = Aead.seal(root.key(), new byte[] {1}, bytes(legacy),
                "anima-vault/keyring/v1".getBytes(StandardCharsets.UTF_8));
        storage.putRecord("sys", "keyring", sealed, 0);
        Barrier a = Barrier.open(storage, root, Clock.systemUTC());
        assertEquals(1, a.tokenKeyVersion());
        byte[] v1 = a.activeTokenMac(bytes("t")).mac();
        a.rotateTokenKey(1, null);
        assertArrayEquals(v1, a.tokenMac(1, bytes("t")).orElseThrow(), "the legacy key is version 1");
        // the record itself became the root key layer's format 2 (its envelope names the key that wraps it)
        String envelope = new String(storage.getRecord("sys", "keyring").orElseThrow().value(), StandardCharsets.UTF_8);
        assertTrue(envelope.startsWith("{") && envelope.contains("\"format\":2"), envelope);
        byte[] plain = new KeyringStore(storage, root, "file", java.util.Map.of()).reopen();
        String json = new String(plain, StandardCharsets.UTF_8);
        assertTrue(json.contains("\"rootKeyId\":\"kept\""), "unknown fields are kept: " + json);
        assertFalse(json.contains("\"tokenKey\":"), json);
    }

    private static String b64(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return java.util.Base64.getEncoder().encodeToString(k);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
