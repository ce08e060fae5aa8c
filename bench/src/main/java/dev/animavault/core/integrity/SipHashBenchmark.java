package dev.animavault.core.integrity;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The replay guard's digests on the create path (a secret's reference, then its identity) through core's
 * {@link SipHash} (BouncyCastle) against the hand-written SipHash it replaced ({@link HandWrittenSipHash}), in
 * the same run. In core's package because {@link SipHash} is package-private (the bench module is on the class
 * path, so the package is shared); run it with {@code JMH_FILTER=SipHash bench/jmh.sh -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1)
public class SipHashBenchmark {
    private final SipHash core = new SipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);
    private final HandWrittenSipHash hand = new HandWrittenSipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);
    // fields, not constants: the JIT must not fold the digests
    private String org = "org_bench";
    private String identity = "agent_123";
    private String name = "OPENAI_API_KEY";

    @Benchmark
    public long bouncyCastle() {
        return core.digest(org, identity, name) ^ core.digest(org, identity);
    }

    @Benchmark
    public long handWritten() {
        return hand.digest(org, identity, name) ^ hand.digest(org, identity);
    }
}
