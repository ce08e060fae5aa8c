package dev.animavault.bench.jmh;

import dev.animavault.core.barrier.Barrier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The keyed hash every request pays to look up its bearer token (core's barrier) against a bare JDK
 * HMAC-SHA256 of the same token.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TokenMacBenchmark {

    private final byte[] token = ("avt_0123456789abcdef_" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ")
            .getBytes(StandardCharsets.UTF_8);
    private RealBarrier real;
    private Barrier barrier;
    private SecretKey jdkKey;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        real = new RealBarrier();
        barrier = real.barrier();
        byte[] keyBytes = new byte[32];
        new SecureRandom().nextBytes(keyBytes);
        jdkKey = new SecretKeySpec(keyBytes, "HmacSHA256");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        real.close();
    }

    @Benchmark
    public byte[] barrierTokenMac() {
        return barrier.tokenMac(token);
    }

    @Benchmark
    public byte[] jdkHmac() throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(jdkKey);
        return mac.doFinal(token);
    }
}
