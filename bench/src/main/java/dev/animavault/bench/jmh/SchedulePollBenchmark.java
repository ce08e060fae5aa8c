package dev.animavault.bench.jmh;

import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one poll of the rotation scheduler costs when {@value #SCHEDULED} secrets have rotation policies
 * and none is due: the first page (16 entries, key order) of the {@code rotation-schedule} record
 * namespace, as {@code RotationSchedule.due} reads it, on the real storage-jdbc plugin (SQLite, read cache
 * off, as a second node would see it), against an uncached secret read on the same database in the same
 * run. The scheduler polls once per {@code vault.rotation.poll-interval} (5 s), so its share of the
 * machine is {@code pollNothingDue / 5 s}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SchedulePollBenchmark {
    static final int SCHEDULED = 100_000;
    static final int SECRETS = 1000;
    private static final String NAMESPACE = "rotation-schedule";

    private Path dir;
    private PluginRegistry registry;
    private StorageBackend storage;
    private SecretRef[] refs;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("anima-jmh-schedule-");
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(benchPlugins().resolve("anima-vault-plugin-storage-jdbc.zip"), plugins.resolve("storage-jdbc.zip"));
        registry = PluginRegistry.load(plugins);
        CorePluginContext context = new CorePluginContext(Clock.systemUTC(), dir, new EgressPolicy(List.of()),
                "dep_bench");
        storage = registry.storageBackends().get("jdbc").factory().create(ProviderConfig.of("jdbc",
                Map.of("read-cache", "off", "sqlite-synchronous", "NORMAL"), java.util.Set.of()), context);
        Instant now = Instant.now();
        storage.createIdentity(new Identity("org_bench", "agent_1", "bench", Map.of(), false, now, now, 0));
        refs = new SecretRef[SECRETS];
        for (int i = 0; i < SECRETS; i++) {
            refs[i] = new SecretRef("org_bench", "agent_1", "KEY_" + i);
            storage.createSecret(new SecretMetadata(refs[i], "api_key", 1, Map.of(), Map.of(), now, now, 0),
                    new SecretVersion(refs[i], 1, new byte[92], now, "bench"));
        }
        // 10^5 policies due between 1 h and 30 days from now, spread as real schedules would be
        long from = now.plusSeconds(3600).toEpochMilli();
        for (int i = 0; i < SCHEDULED; i++) {
            long due = from + ThreadLocalRandom.current().nextLong(30L * 24 * 3600 * 1000);
            String key = String.format("%015d/%043d", due, i);
            storage.putRecord(NAMESPACE, key, ("org_bench\nagent_1\nKEY_" + i).getBytes(StandardCharsets.UTF_8), 0);
        }
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

    /** One scheduler poll that finds nothing due: the first page, and the check of its first entry. */
    @Benchmark
    public boolean pollNothingDue() {
        List<StoredRecord> page = storage.listRecords(NAMESPACE, new PageRequest(16, Optional.empty())).items();
        long now = System.currentTimeMillis();
        return !page.isEmpty() && Long.parseLong(page.get(0).key().substring(0, 15)) <= now;
    }

    /** The baseline: one uncached secret read (the agents' hot path's storage part). */
    @Benchmark
    public Object readSecret() {
        return storage.readSecret(refs[ThreadLocalRandom.current().nextInt(SECRETS)], OptionalInt.empty());
    }

    private static Path benchPlugins() {
        try {
            Path classes = Path.of(SchedulePollBenchmark.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI());
            return classes.resolveSibling("bench-plugins");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
