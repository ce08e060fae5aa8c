package dev.animavault.bench.jmh;

import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable secret creates ({@code StorageBackend.createSecret}, a new key per call: one identity check,
 * two inserts, one commit) of the real storage-jdbc plugin on SQLite with {@code synchronous=FULL} (the
 * default; a temp directory on the machine's disk), loaded through PF4J from its zip, with 1 and with 32
 * writing threads. Throughput: with group commit, the 32 writers share commits (one WAL fsync each),
 * so the figure to read is {@code createSecret32 / createSecret1} (issue 19's target: >= 8x).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class StorageWriteBenchmark {

    private static final String ORG = "org_bench";
    private static final String IDENTITY = "agent_w";

    private final AtomicLong keys = new AtomicLong();
    private final byte[] value = new byte[92]; // a sealed 64-byte API key: nonce + ciphertext + tag
    private Path dir;
    private PluginRegistry registry;
    private StorageBackend storage;

    @Setup(Level.Trial)
    public void setUp() throws IOException, URISyntaxException {
        dir = Files.createTempDirectory("anima-jmh-write-");
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(StorageReadBenchmark.benchPlugins().resolve("anima-vault-plugin-storage-jdbc.zip"),
                plugins.resolve("storage-jdbc.zip"));
        registry = PluginRegistry.load(plugins);
        CorePluginContext context = new CorePluginContext(Clock.systemUTC(), dir, new EgressPolicy(List.of()), "dep_bench");
        storage = registry.storageBackends().get("jdbc").factory()
                .create(ProviderConfig.of("jdbc", Map.of("sqlite-synchronous", "FULL"), Set.of()), context);
        Instant now = Instant.now();
        storage.createIdentity(new Identity(ORG, IDENTITY, "bench writer", Map.of(), false, now, now, 0));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        storage.close();
        registry.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private SecretMetadata create() {
        SecretRef ref = new SecretRef(ORG, IDENTITY, "K" + keys.incrementAndGet());
        Instant now = Instant.now();
        return storage.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of(), Map.of(), now, now, 0),
                new SecretVersion(ref, 1, value, now, "bench"));
    }

    @Benchmark
    @Threads(1)
    public SecretMetadata createSecret1() {
        return create();
    }

    @Benchmark
    @Threads(32)
    public SecretMetadata createSecret32() {
        return create();
    }
}
