package dev.animavault.bench.jmh;

import dev.animavault.core.audit.SensitiveFields;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.plugin.Tccl;
import dev.animavault.core.telemetry.Tracing;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
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
 * What issue 15 adds to every audited secret read when no OpenTelemetry SDK is present: hashing the
 * event's sensitive fields (the actor's token id; a cache hit after the first read by a token) and the
 * untraced branch of a plugin call through core's proxy, against the bare plugin call and the event as it
 * was.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AuditHashingBenchmark {
    private RealBarrier real;
    private SensitiveFields fields;
    private AuditEvent event;
    private IntSupplier target;
    private IntSupplier proxied;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        real = new RealBarrier();
        Barrier barrier = real.barrier();
        fields = new SensitiveFields(barrier::auditKeyVersion, barrier::auditKeyVersions, barrier::auditFieldMac,
                false);
        event = new AuditEvent("0190000000000000000001abcdef", Instant.now(), "secret.read", AuditOutcome.SUCCESS,
                "default", "agent_123", "OPENAI_API_KEY", 1, "identity:agent_123/6f1c2a3b4c5d6e7f", "req-1",
                "127.0.0.1", null, Map.of());
        Tracing.disable(); // no SDK: the node's default
        int[] n = {0};
        target = () -> ++n[0];
        proxied = Tccl.wrap(IntSupplier.class, target, AuditHashingBenchmark.class.getClassLoader());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        real.close();
    }

    /** The event as every read now records it: actor token id hashed (cached). */
    @Benchmark
    public AuditEvent hashEvent() {
        return fields.apply(event);
    }

    /** The same event untouched (what it cost before). */
    @Benchmark
    public AuditEvent plainEvent() {
        return event;
    }

    /** A plugin call through core's proxy with tracing off. */
    @Benchmark
    public int proxiedCallUntraced() {
        return proxied.getAsInt();
    }

    /** The same call without the proxy. */
    @Benchmark
    public int directCall() {
        return target.getAsInt();
    }
}
