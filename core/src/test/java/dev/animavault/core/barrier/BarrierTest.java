package dev.animavault.core.barrier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.SqlitePluginStorage;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The barrier over the real SQLite storage plugin. */
class BarrierTest {
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

    @Test
    void sealsRecordsBoundToTheirNamespaceAndKey() {
        RootKey root = RootKey.loadOrCreate(tmp.resolve("root.key"), Map.of());
        Barrier barrier = Barrier.open(storage, root, Clock.systemUTC());
        byte[] plain = "whsec-signing-secret".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = barrier.sealRecord("webhooks", "org1", plain);
        assertArrayEquals(plain, barrier.openRecord("webhooks", "org1", sealed));
        assertTrue(new String(sealed, StandardCharsets.ISO_8859_1).indexOf("whsec") < 0, "sealed, not plain");
        for (String[] other : new String[][] {{"webhooks", "org2"}, {"webhook", "sorg1"}, {"tokens", "org1"}}) {
            assertEquals(ErrorCode.INTEGRITY_ERROR, assertThrows(VaultException.class,
                    () -> barrier.openRecord(other[0], other[1], sealed)).errorCode());
        }
        SecretRef ref = new SecretRef("webhooks", "org1", "x");
        assertEquals(ErrorCode.INTEGRITY_ERROR, assertThrows(VaultException.class,
                () -> barrier.open(ref, 1, sealed)).errorCode(), "a record does not open as a secret value");
        byte[] tampered = sealed.clone();
        tampered[tampered.length - 1] ^= 1;
        assertEquals(ErrorCode.INTEGRITY_ERROR, assertThrows(VaultException.class,
                () -> barrier.openRecord("webhooks", "org1", tampered)).errorCode());
    }

    @Test
    void sealsWithAadBoundToTheSecretVersion() {
        RootKey root = RootKey.loadOrCreate(tmp.resolve("root.key"), Map.of());
        Barrier barrier = Barrier.open(storage, root, Clock.systemUTC());
        SecretRef ref = new SecretRef("org", "agent", "KEY");
        byte[] plain = "sk-live-123".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = barrier.seal(ref, 1, plain);
        assertArrayEquals(plain, barrier.open(ref, 1, sealed));
        assertNotEquals(Base64.getEncoder().encodeToString(sealed), Base64.getEncoder().encodeToString(barrier.seal(ref, 1, plain)),
                "random nonces");
        for (var other : new Object[][] {{new SecretRef("org", "agent", "KEY2"), 1}, {new SecretRef("org", "agent2", "KEY"), 1},
                {new SecretRef("org2", "agent", "KEY"), 1}, {ref, 2}}) {
            VaultException e = assertThrows(VaultException.class, () -> barrier.open((SecretRef) other[0], (int) other[1], sealed));
            assertEquals(ErrorCode.INTEGRITY_ERROR, e.errorCode());
        }
        byte[] tampered = sealed.clone();
        tampered[tampered.length - 1] ^= 1;
        assertEquals(ErrorCode.INTEGRITY_ERROR, assertThrows(VaultException.class, () -> barrier.open(ref, 1, tampered)).errorCode());
        assertTrue(barrier.toString().contains("<masked>"));
    }

    @Test
    void keyringSurvivesRestartAndRefusesAnotherRootKey() throws Exception {
        Path keyFile = tmp.resolve("root.key");
        RootKey root = RootKey.loadOrCreate(keyFile, Map.of());
        assertEquals(Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(keyFile));
        SecretRef ref = new SecretRef("org", "agent", "KEY");
        byte[] sealed = Barrier.open(storage, root, Clock.systemUTC()).seal(ref, 1, new byte[] {1, 2, 3});
        Barrier again = Barrier.open(storage, RootKey.loadOrCreate(keyFile, Map.of()), Clock.systemUTC());
        assertArrayEquals(new byte[] {1, 2, 3}, again.open(ref, 1, sealed));

        RootKey other = RootKey.loadOrCreate(tmp.resolve("other.key"), Map.of());
        VaultException e = assertThrows(VaultException.class, () -> Barrier.open(storage, other, Clock.systemUTC()));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("wrong root key"), e.getMessage());

        String envKey = Base64.getEncoder().encodeToString(new byte[32]);
        RootKey fromEnv = RootKey.loadOrCreate(tmp.resolve("unused.key"), Map.of(RootKey.ENV, envKey));
        assertTrue(fromEnv.source().contains(RootKey.ENV));
        assertTrue(!Files.exists(tmp.resolve("unused.key")));
    }

    @Test
    void aMissingKeyFileWithAnExistingKeyringRefusesAndCreatesNothing() throws Exception {
        Path keyFile = tmp.resolve("root.key");
        RootKey first = RootKey.load(keyFile, Map.of());
        assertTrue(first.isUnsaved());
        assertTrue(!Files.exists(keyFile), "load alone writes no file");
        Barrier.open(storage, first, Clock.systemUTC());
        assertTrue(Files.exists(keyFile), "saved when the keyring was created");
        assertTrue(!first.isUnsaved());

        Files.delete(keyFile);
        VaultException e = assertThrows(VaultException.class,
                () -> Barrier.open(storage, RootKey.load(keyFile, Map.of()), Clock.systemUTC()));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("nothing was created"),
                e.getMessage());
        assertTrue(!Files.exists(keyFile), "no new, useless key file");
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().startsWith("root.key")), "no temporary file");
        }
    }

    @Test
    void looseRootKeyFilePermissionsAreRefused() throws Exception {
        Path keyFile = tmp.resolve("root.key");
        RootKey.loadOrCreate(keyFile, Map.of());
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));
        VaultException e = assertThrows(VaultException.class, () -> RootKey.loadOrCreate(keyFile, Map.of()));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }
}
