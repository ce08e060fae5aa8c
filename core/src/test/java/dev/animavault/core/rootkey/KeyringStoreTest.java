package dev.animavault.core.rootkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.SqlitePluginStorage;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.KeyringStore;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.barrier.RootKeyIds;
import dev.animavault.core.barrier.SoftwareKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The keyring record's root key layer over the real SQLite storage plugin. */
class KeyringStoreTest {
    @TempDir
    Path tmp;
    SqlitePluginStorage plugin;
    StorageBackend storage;

    @BeforeEach
    void open() {
        plugin = new SqlitePluginStorage(tmp);
        storage = plugin.storage;
    }

    @AfterEach
    void close() {
        plugin.close();
    }

    private KeyringStore store() {
        return new KeyringStore(storage, new FileRootKeyProvider(tmp.resolve("root.key")), "file", Map.of());
    }

    @Test
    @Timeout(120)
    void concurrentRotationsOnTwoNodesNeverLoseTheKeyring() throws Exception {
        KeyringStore one = store();
        KeyringStore two = store();
        SecretRef ref = new SecretRef("org", "agent", "K");
        byte[] sealed = Barrier.open(one, Clock.systemUTC()).seal(ref, 1, new byte[] {7});
        Barrier.open(two, Clock.systemUTC());
        List<String> outcomes = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (KeyringStore ks : List.of(one, two)) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 5; i++) {
                    try {
                        ks.rotate(ks.provider(), "file", Map.of(), Instant.now());
                        outcomes.add("ok");
                    } catch (VaultException e) {
                        outcomes.add(e.errorCode().code());
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(outcomes.contains("ok"), outcomes.toString());
        assertTrue(outcomes.stream().allMatch(o -> o.equals("ok") || o.equals("revision_conflict")), outcomes.toString());
        // whatever interleaving: a fresh node opens the keyring with the key file, and old values open
        KeyringStore fresh = store();
        assertArrayEquals(new byte[] {7}, Barrier.open(fresh, Clock.systemUTC()).open(ref, 1, sealed));
        assertEquals(new FileRootKeyProvider(tmp.resolve("root.key")).currentKey().orElseThrow(), fresh.state().keyId());
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".next-")), "no staged key left");
        }
    }

    @Test
    @Timeout(60)
    void editingWhatTheRecordSaysAboutItsKeyIsRefused() throws Exception {
        KeyringStore ks = store();
        Barrier.open(ks, Clock.systemUTC());
        StoredRecord r = storage.getRecord("sys", "keyring").orElseThrow();
        String edited = new String(r.value(), StandardCharsets.UTF_8).replace(ks.state().deploymentId(), "dep_0000000000000000");
        storage.putRecord("sys", "keyring", edited.getBytes(StandardCharsets.UTF_8), r.revision());
        VaultException e = assertThrows(VaultException.class, () -> Barrier.open(store(), Clock.systemUTC()));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
    }

    @Test
    @Timeout(60)
    void aKeyringWrittenBeforeKeyIdsOpensAndRotatesKeepingItsDeploymentId() throws Exception {
        RootKey legacyKey = RootKey.loadOrCreate(tmp.resolve("root.key"), Map.of());
        String legacyDeployment = RootKeyIds.deploymentId(legacyKey);
        SoftwareKey raw = SoftwareKey.decode(Files.readString(tmp.resolve("root.key")), "test");
        String b64 = Base64.getEncoder().encodeToString(new byte[32]);
        byte[] plain = ("{\"format\":1,\"active\":1,\"keys\":[{\"id\":1,\"created\":\"2026-01-01T00:00:00Z\",\"key\":\"" + b64
                + "\"}],\"tokenKey\":\"" + b64 + "\",\"auditKey\":\"" + b64 + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] wrapped = raw.wrap(plain, "anima-vault/keyring/v1".getBytes(StandardCharsets.UTF_8));
        byte[] record = new byte[wrapped.length + 1];
        record[0] = 1;
        System.arraycopy(wrapped, 0, record, 1, wrapped.length);
        storage.putRecord("sys", "keyring", record, 0);

        KeyringStore ks = store();
        Barrier.open(ks, Clock.systemUTC());
        assertEquals(1, ks.state().format());
        assertEquals(legacyDeployment, ks.state().deploymentId());
        KeyringStore.State after = ks.rotate(ks.provider(), "file", Map.of(), Instant.now());
        assertEquals(2, after.format());
        assertEquals(legacyDeployment, after.deploymentId(), "the deployment id survives the move to format 2");
        // the tools' RootKey (the key file) opens the new format too
        assertTrue(Barrier.openExisting(storage, RootKey.load(tmp.resolve("root.key"), Map.of())).isPresent());
    }

    @Test
    @Timeout(60)
    void aRotationCutOffBeforeItsKeyFileMovedIsFinishedAtTheNextStart() throws Exception {
        KeyringStore ks = store();
        SecretRef ref = new SecretRef("org", "agent", "K");
        byte[] sealed = Barrier.open(ks, Clock.systemUTC()).seal(ref, 1, new byte[] {9});
        Path keyFile = tmp.resolve("root.key");
        String oldKey = Files.readString(keyFile);
        String newId = ks.rotate(ks.provider(), "file", Map.of(), Instant.now()).keyId();
        // as if the process died between the keyring write and the move: new key still staged, old key in place
        Files.move(keyFile, tmp.resolve("root.key.next-" + newId));
        Files.writeString(keyFile, oldKey);
        Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

        KeyringStore restarted = store();
        assertArrayEquals(new byte[] {9}, Barrier.open(restarted, Clock.systemUTC()).open(ref, 1, sealed));
        assertEquals(newId, new FileRootKeyProvider(keyFile).currentKey().orElseThrow(), "the staged key moved in place");
        assertTrue(!Files.exists(tmp.resolve("root.key.next-" + newId)));
    }
}
