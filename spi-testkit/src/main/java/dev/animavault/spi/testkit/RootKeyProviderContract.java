package dev.animavault.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link RootKeyProvider} shows. A provider's test extends this class and implements
 * {@link #newProvider()} (a provider over a fresh, empty key home: a new directory, a new HSM token) and
 * {@link #sameHome()} (another provider over the same home, as a second node or a restart sees it).
 *
 * <p>What is checked, and only what the SPI promises:
 * <ul>
 *   <li>Key ids are printable, at most 128 characters, and contain no key material the test knows of.</li>
 *   <li>{@code wrap} then {@code unwrap} with the same key id and AAD returns the plaintext, also on
 *       another provider over the same home after {@code keyInUse}; each wrap uses a fresh nonce.</li>
 *   <li>{@code unwrap} refuses with {@code INTEGRITY_ERROR} other AAD, a flipped bit, a truncation; and
 *       refuses an unknown key id with {@code CONFIGURATION} or {@code INTEGRITY_ERROR}.</li>
 *   <li>Providers that create keys make a different key on every {@code newKey}; once the new one is in
 *       use and the old one destroyed, the old key id opens nothing (also on a fresh provider), and the new
 *       one still does. {@code destroyKey} is idempotent, and of an unknown id a no-op.</li>
 *   <li>Concurrent wraps and unwraps from several threads all succeed.</li>
 *   <li>{@code toString} and {@code describe} hold no key material; {@code close} is idempotent.</li>
 * </ul>
 * Every provider the contract opens is closed after the test.
 */
public abstract class RootKeyProviderContract {
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final byte[] AAD = "contract/aad".getBytes(StandardCharsets.UTF_8);
    private static final byte[] KEYRING = "{\"keys\":[\"the keyring, a few hundred bytes\"]}".getBytes(StandardCharsets.UTF_8);

    private final List<RootKeyProvider> opened = new CopyOnWriteArrayList<>();

    /** A provider over a fresh key home. Called once per test, before {@link #sameHome()}. */
    protected abstract RootKeyProvider newProvider();

    /** Another provider over the home {@link #newProvider()} made (a second node, or a restart). */
    protected abstract RootKeyProvider sameHome();

    private RootKeyProvider fresh() {
        RootKeyProvider p = newProvider();
        opened.add(p);
        return p;
    }

    private RootKeyProvider again() {
        RootKeyProvider p = sameHome();
        opened.add(p);
        return p;
    }

    /** The key id the first start would use: the source's key, or a new one. */
    private static String firstKey(RootKeyProvider p) {
        String id = p.currentKey().orElseGet(p::newKey);
        p.keyInUse(id);
        return id;
    }

    @AfterEach
    void closeAll() {
        for (RootKeyProvider p : opened) {
            assertDoesNotThrow(p::close);
        }
    }

    @Test
    @Timeout(60)
    void wrapsAndUnwrapsAcrossProvidersOverTheSameHome() {
        RootKeyProvider p = fresh();
        String id = firstKey(p);
        assertTrue(KEY_ID.matcher(id).matches(), "key id " + id);
        byte[] wrapped = p.wrap(id, KEYRING, AAD);
        assertFalse(contains(wrapped, KEYRING), "the wrapped keyring shows its plaintext");
        assertArrayEquals(KEYRING, p.unwrap(id, wrapped, AAD));
        assertNotEquals(new String(wrapped, StandardCharsets.ISO_8859_1),
                new String(p.wrap(id, KEYRING, AAD), StandardCharsets.ISO_8859_1), "a fresh nonce per wrap");
        RootKeyProvider second = again();
        assertArrayEquals(KEYRING, second.unwrap(id, wrapped, AAD));
        assertArrayEquals(new byte[0], second.unwrap(id, second.wrap(id, new byte[0], AAD), AAD));
    }

    @Test
    @Timeout(60)
    void refusesOtherAadTamperingAndUnknownKeys() {
        RootKeyProvider p = fresh();
        String id = firstKey(p);
        byte[] wrapped = p.wrap(id, KEYRING, AAD);
        assertCode(ErrorCode.INTEGRITY_ERROR, () -> p.unwrap(id, wrapped, "other".getBytes(StandardCharsets.UTF_8)));
        byte[] flipped = wrapped.clone();
        flipped[flipped.length / 2] ^= 1;
        assertCode(ErrorCode.INTEGRITY_ERROR, () -> p.unwrap(id, flipped, AAD));
        byte[] cut = java.util.Arrays.copyOf(wrapped, wrapped.length - 5);
        assertCode(ErrorCode.INTEGRITY_ERROR, () -> p.unwrap(id, cut, AAD));
        VaultException e = assertThrows(VaultException.class, () -> p.unwrap(unknownKeyId(), wrapped, AAD));
        assertTrue(Set.of(ErrorCode.CONFIGURATION, ErrorCode.INTEGRITY_ERROR).contains(e.errorCode()), e.errorCode().code());
    }

    @Test
    @Timeout(120)
    void aRotatedAwayKeyOpensNothing() {
        RootKeyProvider p = fresh();
        assumeTrue(p.createsKeys(), "this provider is given its key and cannot make another");
        String oldId = firstKey(p);
        byte[] oldWrapped = p.wrap(oldId, KEYRING, AAD);
        String newId = p.newKey();
        assertNotEquals(oldId, newId);
        byte[] newWrapped = p.wrap(newId, KEYRING, AAD);
        // a rotation: the keyring record now names newId
        p.keyInUse(newId);
        p.destroyKey(oldId);
        p.destroyKey(oldId);
        p.destroyKey(unknownKeyId());
        assertArrayEquals(KEYRING, p.unwrap(newId, newWrapped, AAD));
        RootKeyProvider second = again();
        assertArrayEquals(KEYRING, second.unwrap(newId, newWrapped, AAD));
        assertThrows(VaultException.class, () -> second.unwrap(oldId, oldWrapped, AAD), "the old key still opens");
        assertThrows(VaultException.class, () -> second.unwrap(newId, oldWrapped, AAD));
    }

    @Test
    @Timeout(120)
    void aNewKeyThatLostItsRaceIsDestroyedAndTheOldStays() {
        RootKeyProvider p = fresh();
        assumeTrue(p.createsKeys(), "this provider is given its key and cannot make another");
        String id = firstKey(p);
        byte[] wrapped = p.wrap(id, KEYRING, AAD);
        String loser = p.newKey();
        p.destroyKey(loser);
        assertArrayEquals(KEYRING, again().unwrap(id, wrapped, AAD));
    }

    @Test
    @Timeout(120)
    void concurrentWrapsAndUnwraps() throws Exception {
        RootKeyProvider p = fresh();
        String id = firstKey(p);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        byte[] data = ("value " + i).getBytes(StandardCharsets.UTF_8);
                        assertArrayEquals(data, p.unwrap(id, p.wrap(id, data, AAD), AAD));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(60)
    void describesItselfWithoutKeysAndClosesTwice() {
        RootKeyProvider p = fresh();
        String id = firstKey(p);
        assertFalse(p.describe().isBlank());
        assertFalse(p.toString().contains(id) && p.toString().length() > 200, "toString");
        p.close();
        assertDoesNotThrow(p::close);
    }

    /** A well-formed key id no provider made. */
    protected String unknownKeyId() {
        return "k-0000000000000000";
    }

    private static void assertCode(ErrorCode code, org.junit.jupiter.api.function.Executable call) {
        VaultException e = assertThrows(VaultException.class, call);
        assertEquals(code, e.errorCode(), e.getMessage());
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
