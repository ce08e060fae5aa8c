package dev.animavault.core.rootkey;

import dev.animavault.core.barrier.SoftwareKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * {@code passphrase}: the root key derived from an operator's passphrase with Argon2id (BouncyCastle). The
 * key id carries the derivation's parameters and salt ({@code a2id.m<KiB>.t<iterations>.p<lanes>.<salt hex>}),
 * so a key made with older parameters still opens after they change. Whoever knows the passphrase can
 * derive every key made from it, so the provider counts as given its key ({@link #createsKeys()} false): a
 * rotation names a provider reading another passphrase ({@code passphrase-file}); {@link #newKey()} picks a
 * new salt for it. Derived keys are cached
 * per id; the passphrase stays in memory (wiped on close). Thread-safe.
 */
final class PassphraseRootKeyProvider implements RootKeyProvider {
    private static final Pattern KEY_ID = Pattern.compile("a2id\\.m(\\d{1,8})\\.t(\\d{1,3})\\.p(\\d{1,2})\\.([0-9a-f]{32})");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final char[] passphrase;
    private final int memoryKib;
    private final int iterations;
    private final int parallelism;
    private final String source;
    private final Map<String, SoftwareKey> derived = new ConcurrentHashMap<>();

    PassphraseRootKeyProvider(char[] passphrase, int memoryKib, int iterations, int parallelism, String source) {
        if (passphrase.length < 8) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the root key passphrase (" + source + ") must have at "
                    + "least 8 characters");
        }
        this.passphrase = passphrase.clone();
        this.memoryKib = memoryKib;
        this.iterations = iterations;
        this.parallelism = parallelism;
        this.source = source;
    }

    @Override
    public String newKey() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return "a2id.m" + memoryKib + ".t" + iterations + ".p" + parallelism + "." + HexFormat.of().formatHex(salt);
    }

    @Override
    public boolean createsKeys() {
        return false;
    }

    @Override
    public byte[] wrap(String keyId, byte[] plaintext, byte[] aad) {
        return key(keyId).wrap(plaintext, aad);
    }

    @Override
    public byte[] unwrap(String keyId, byte[] wrapped, byte[] aad) {
        return key(keyId).unwrap(wrapped, aad);
    }

    @Override
    public void destroyKey(String keyId) {
        SoftwareKey k = derived.remove(keyId);
        if (k != null) {
            k.wipe();
        }
    }

    private SoftwareKey key(String keyId) {
        Matcher m = KEY_ID.matcher(keyId);
        if (!m.matches()) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key " + keyId + " is not a passphrase key");
        }
        return derived.computeIfAbsent(keyId, id -> derive(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)), HexFormat.of().parseHex(m.group(4))));
    }

    private SoftwareKey derive(int memory, int iters, int lanes, byte[] salt) {
        if (memory < 8 * lanes || memory > 4 * 1024 * 1024 || iters < 1 || lanes < 1) {
            throw new VaultException(ErrorCode.CONFIGURATION, "passphrase key parameters out of range");
        }
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memory).withIterations(iters).withParallelism(lanes).withSalt(salt).build());
        byte[] out = new byte[32];
        gen.generateBytes(passphrase, out);
        try {
            return new SoftwareKey(out);
        } finally {
            Arrays.fill(out, (byte) 0);
        }
    }

    @Override
    public String describe() {
        return "passphrase (" + source + ", Argon2id m=" + memoryKib + "KiB t=" + iterations + " p=" + parallelism + ")";
    }

    @Override
    public void close() {
        Arrays.fill(passphrase, '\0');
        derived.values().forEach(SoftwareKey::wipe);
        derived.clear();
    }

    @Override
    public String toString() {
        return "PassphraseRootKeyProvider[" + source + ", <masked>]";
    }
}
