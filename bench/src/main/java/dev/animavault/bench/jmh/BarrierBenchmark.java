package dev.animavault.bench.jmh;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.storage.SecretRef;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Core's barrier sealing and opening a secret value (AES-256-GCM, random nonce, AAD bound to
 * org/identity/key/version) against the bare JDK doing the same cryptography with an AAD of the same
 * length: the ratio is the barrier's own overhead (header, AAD building, key lookup, counting).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BarrierBenchmark {

    /** Secret value size: a typical API key, and a certificate-sized value. */
    @Param({"64", "4096"})
    public int valueBytes;

    private final SecureRandom random = new SecureRandom();
    private final SecretRef ref = new SecretRef("org_bench", "agent_123", "OPENAI_API_KEY");
    private RealBarrier real;
    private Barrier barrier;
    private byte[] plaintext;
    private byte[] sealedByBarrier;
    private SecretKey jdkKey;
    private byte[] jdkAad;
    private byte[] sealedByJdk;

    @Setup(Level.Trial)
    public void setUp() throws IOException, GeneralSecurityException {
        real = new RealBarrier();
        barrier = real.barrier();
        plaintext = new byte[valueBytes];
        random.nextBytes(plaintext);
        sealedByBarrier = barrier.seal(ref, 1, plaintext);
        if (!Arrays.equals(plaintext, barrier.open(ref, 1, sealedByBarrier))) {
            throw new IllegalStateException("barrier round trip failed");
        }
        byte[] keyBytes = new byte[32];
        random.nextBytes(keyBytes);
        jdkKey = new SecretKeySpec(keyBytes, "AES");
        // The barrier's AAD for this ref and version: "av1" + 4 length/version ints + the three names.
        jdkAad = new byte[3 + 16 + ref.organizationId().length() + ref.identityId().length() + ref.key().length()];
        random.nextBytes(jdkAad);
        sealedByJdk = jdkSeal();
        if (!Arrays.equals(plaintext, jdkOpen())) {
            throw new IllegalStateException("JDK round trip failed");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        real.close();
    }

    @Benchmark
    public byte[] barrierSeal() {
        return barrier.seal(ref, 1, plaintext);
    }

    @Benchmark
    public byte[] barrierOpen() {
        return barrier.open(ref, 1, sealedByBarrier);
    }

    /** nonce || ciphertext+tag with a fresh random nonce: what the barrier does, minus its own work. */
    @Benchmark
    public byte[] jdkSeal() throws GeneralSecurityException {
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, jdkKey, new GCMParameterSpec(128, nonce));
        c.updateAAD(jdkAad);
        byte[] out = new byte[12 + c.getOutputSize(plaintext.length)];
        System.arraycopy(nonce, 0, out, 0, 12);
        c.doFinal(plaintext, 0, plaintext.length, out, 12);
        return out;
    }

    @Benchmark
    public byte[] jdkOpen() throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, jdkKey, new GCMParameterSpec(128, sealedByJdk, 0, 12));
        c.updateAAD(jdkAad);
        return c.doFinal(sealedByJdk, 12, sealedByJdk.length - 12);
    }
}
