package dev.animavault.bench.jmh;

import dev.animavault.core.integrity.IntegrityStorage;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredSecret;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
 * The cost tamper evidence adds to the secret read (issue 14): {@code readSecret} of a backend that answers
 * from memory, bare ({@code bareRead}) and through core's {@link IntegrityStorage} ({@code macCheckedRead}),
 * which checks the metadata's HMAC-SHA256 (pooled Mac, pooled encoding buffer) and asks the replay guard.
 * The difference is the per-read cost; the metadata is typical: two labels, a rotation policy.
 * {@code jdkHmac256} is the bare JDK HMAC of a similar input, the floor of the check.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class IntegrityBenchmark {
    private final SecretRef ref = new SecretRef("org_bench", "agent_123", "OPENAI_API_KEY");
    private RealBarrier real;
    private StorageBackend bare;
    private IntegrityStorage checked;
    private final byte[] macInput = new byte[256];
    private javax.crypto.Mac jdkMac;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        real = new RealBarrier();
        try {
            jdkMac = javax.crypto.Mac.getInstance("HmacSHA256");
            jdkMac.init(new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256"));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        AtomicReference<StoredSecret> stored = new AtomicReference<>();
        bare = (StorageBackend) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {StorageBackend.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "protection" -> Protection.NONE;
                    case "readSecret" -> Optional.ofNullable(stored.get());
                    case "getRecord" -> Optional.empty();
                    case "createSecret" -> {
                        SecretMetadata m = ((SecretMetadata) args[0]).withRevision(1);
                        stored.set(new StoredSecret(m, (SecretVersion) args[1]));
                        yield m;
                    }
                    case "toString" -> "memory";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        checked = IntegrityStorage.wrap(bare, real.barrier(), List.of());
        Instant now = Instant.now();
        checked.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of("env", "prod", "team", "research"),
                Map.of("rotation.interval", "P30D", "rotation.webhook", "https://hooks.example/rotate",
                        "expiresAt", "2027-01-01T00:00:00Z"), now, now, 0),
                new SecretVersion(ref, 1, real.barrier().seal(ref, 1, new byte[64]), now, "bench"));
        if (checked.readSecret(ref, OptionalInt.empty()).isEmpty()) {
            throw new IllegalStateException("round trip failed");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        real.close();
    }

    /** The JDK baseline: one HMAC-SHA256 over 256 bytes (about what the metadata encodes to) with a ready Mac. */
    @Benchmark
    public byte[] jdkHmac256() {
        jdkMac.update(macInput);
        return jdkMac.doFinal();
    }

    @Benchmark
    public Optional<StoredSecret> bareRead() {
        return bare.readSecret(ref, OptionalInt.empty());
    }

    @Benchmark
    public Optional<StoredSecret> macCheckedRead() {
        return checked.readSecret(ref, OptionalInt.empty());
    }
}
