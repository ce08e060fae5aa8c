package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.SqlitePluginStorage;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.spi.storage.StorageBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The organization's webhook signing secret over the real SQLite storage plugin. */
class SigningSecretsTest {
    @TempDir
    Path tmp;
    SqlitePluginStorage plugin;
    Barrier barrier;

    @BeforeEach
    void open() {
        plugin = new SqlitePluginStorage(tmp);
        barrier = Barrier.open(plugin.storage, RootKey.loadOrCreate(tmp.resolve("root.key"), Map.of()), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        plugin.close();
    }

    /**
     * A rotation that found no secret, while a delivery ({@code current}) created the first one before the rotation
     * stored its own (seen in CI as a 409 "already exists" from {@code POST /v1/vault/rotation/signing-secret}):
     * the rotation replaces the delivery's secret, which stays valid as the previous one.
     */
    @Test
    void rotationRacingTheFirstSecretsCreationReplacesIt() {
        Instant now = Instant.parse("2026-12-07T20:00:00Z");
        SigningSecrets delivery = new SigningSecrets(plugin.storage, barrier);
        AtomicBoolean raced = new AtomicBoolean();
        String[] createdMeanwhile = new String[1];
        // the real storage, with the delivery's creation slipped in after the rotation's first read
        StorageBackend racing = (StorageBackend) Proxy.newProxyInstance(StorageBackend.class.getClassLoader(),
                new Class<?>[] {StorageBackend.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(plugin.storage, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("getRecord") && raced.compareAndSet(false, true)) {
                        createdMeanwhile[0] = delivery.current("org1", now).value();
                    }
                    return result;
                });

        SigningSecrets.Secret rotated = new SigningSecrets(racing, barrier).rotate("org1", now);

        assertTrue(raced.get(), "the delivery's creation ran between the rotation's read and write");
        assertNotEquals(createdMeanwhile[0], rotated.value());
        SigningSecrets.Secret stored = delivery.current("org1", now);
        assertEquals(rotated.value(), stored.value(), "the rotation's secret is the current one");
        assertEquals(createdMeanwhile[0], stored.previous(), "the delivery's secret stays valid as the previous one");
    }

    @Test
    void rotationKeepsThePreviousSecretForTheOverlap() {
        Instant now = Instant.parse("2026-12-07T20:00:00Z");
        SigningSecrets secrets = new SigningSecrets(plugin.storage, barrier);
        String first = secrets.rotate("org1", now).value();
        String second = secrets.rotate("org1", now.plusSeconds(60)).value();
        SigningSecrets.Secret stored = secrets.current("org1", now.plusSeconds(61));
        assertEquals(second, stored.value());
        assertEquals(first, stored.previous());
        assertEquals(now.plusSeconds(60).plus(SigningSecrets.OVERLAP), stored.previousUntil());
    }
}
