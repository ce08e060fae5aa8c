package dev.animavault.bench.jmh;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The {@code file} audit sink's {@code write} (the real audit-file plugin, loaded through PF4J from its
 * zip in {@code bench/target/bench-plugins}, no fsync, a file in a temp directory), in ns per event at
 * batch sizes 1, 16 and 256 ({@code sinkWrite*}), against two baselines in the same run:
 * <ul>
 *   <li>{@code jacksonWrite*}: the sink's write path as it was before its hand-written encoder, kept here
 *       as a private copy: a Jackson {@link JsonGenerator} per event, {@code Instant.toString()}, SHA-256
 *       and {@link HexFormat} for the chain, the batch in one {@code write} (no index, no locks);</li>
 *   <li>{@code rawWrite*}: the floor: the same lines, encoded once in setup, appended with one
 *       {@code write} system call per batch.</li>
 * </ul>
 * Events look like the server's secret reads (empty details, one in 16 denied with an error code and a
 * detail). Each iteration starts on an empty file, so files stay at a few hundred MB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AuditFileBenchmark {
    static final int POOL = 4096;

    private Path dir;
    private PluginRegistry registry;
    private AuditSinkFactory factory;
    private AuditSink sink;
    private int sinkFiles;
    private final List<AuditEvent> events = new ArrayList<>(POOL);
    private List<List<AuditEvent>>[] batches;
    private byte[][] rawBatches1;
    private byte[][] rawBatches16;
    private byte[][] rawBatches256;
    private int next1;
    private int next16;
    private int next256;
    private LegacyWriter jackson;
    private RandomAccessFile raw;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("anima-jmh-audit-");
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(benchPlugins().resolve("anima-vault-plugin-audit-file.zip"), plugins.resolve("audit-file.zip"));
        registry = PluginRegistry.load(plugins);
        factory = registry.auditSinks().get("file").factory();
        Instant t0 = Instant.parse("2026-11-25T18:00:00Z");
        for (int i = 0; i < POOL; i++) {
            // clock.instant() on Linux: microseconds, sometimes nanoseconds
            Instant ts = t0.plusNanos(i * 137_000L + (i % 3 == 0 ? 0 : (i % 1000) * 1000L + (i % 7 == 0 ? 123 : 0)));
            String identity = "agent_" + (i % 100);
            boolean denied = i % 16 == 15;
            events.add(new AuditEvent(String.format("%012x%010x%s", ts.toEpochMilli(), i, "a1b2c3"), ts, "secret.read",
                    denied ? AuditOutcome.DENIED : AuditOutcome.SUCCESS, "org_" + (i % 4), identity, "OPENAI_API_KEY",
                    denied ? null : 1, "identity:" + identity, String.format("%08x-%04x-4000-8000-%012x", i, i & 0xffff, i),
                    "127.0.0.1", denied ? "permission_denied" : null,
                    denied ? Map.of("reason", "token \"scope\" lacks secret.read") : Map.of()));
        }
        batches = new List[257];
        for (int n : new int[] {1, 16, 256}) {
            batches[n] = new ArrayList<>();
            for (int k = 0; k + n <= POOL; k += n) {
                batches[n].add(List.copyOf(events.subList(k, k + n)));
            }
        }
        rawBatches1 = encodeAll(batches[1]);
        rawBatches16 = encodeAll(batches[16]);
        rawBatches256 = encodeAll(batches[256]);
        jackson = new LegacyWriter(dir.resolve("jackson.jsonl"));
        raw = new RandomAccessFile(dir.resolve("raw.jsonl").toFile(), "rw");
        checkTheBaselineWritesWhatTheSinkWrites();
    }

    /** The sink and the Jackson baseline write the same lines (the same work), else the ratio means nothing. */
    private void checkTheBaselineWritesWhatTheSinkWrites() throws IOException {
        Path file = dir.resolve("check.jsonl");
        AuditSink check = openSink(file);
        LegacyWriter legacy = new LegacyWriter(dir.resolve("check-legacy.jsonl"));
        for (int n : new int[] {1, 16, 256}) {
            check.write(batches[n].get(0));
            legacy.write(batches[n].get(0));
        }
        check.close();
        legacy.close();
        if (!Arrays.equals(Files.readAllBytes(file), Files.readAllBytes(legacy.path))) {
            throw new IllegalStateException("the sink and the Jackson baseline write different lines");
        }
    }

    private AuditSink openSink(Path file) {
        return factory.create(ProviderConfig.validate(factory, Map.of("path", file.toString(), "fsync", "false"),
                "the benchmark"), new CorePluginContext(Clock.systemUTC(), dir, new EgressPolicy(List.of()), "dep_bench"));
    }

    private static byte[][] encodeAll(List<List<AuditEvent>> batches) throws IOException {
        byte[][] out = new byte[batches.size()][];
        Path scratch = Files.createTempFile("anima-jmh-audit-raw-", ".jsonl");
        try {
            LegacyWriter w = new LegacyWriter(scratch);
            for (int i = 0; i < out.length; i++) {
                long before = w.end;
                w.write(batches.get(i));
                out[i] = Arrays.copyOfRange(Files.readAllBytes(scratch), (int) before, (int) w.end);
            }
            w.close();
        } finally {
            Files.deleteIfExists(scratch);
        }
        return out;
    }

    /** Every iteration writes to empty files (a new sink file, the baselines truncated). */
    @Setup(Level.Iteration)
    public void freshFiles() throws IOException {
        if (sink != null) {
            sink.close();
            Files.deleteIfExists(dir.resolve("sink-" + sinkFiles + ".jsonl"));
        }
        sink = openSink(dir.resolve("sink-" + ++sinkFiles + ".jsonl"));
        jackson.truncate();
        raw.setLength(0);
        raw.seek(0);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sink.close();
        jackson.close();
        raw.close();
        registry.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private List<AuditEvent> batch(int n, int i) {
        List<List<AuditEvent>> b = batches[n];
        return b.get(i % b.size());
    }

    /** One write system call per batch (the file pointer is already at the end: no seek). */
    private void rawWrite(byte[] bytes) throws IOException {
        raw.write(bytes);
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public void sinkWrite1() {
        sink.write(batch(1, next1++));
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public void sinkWrite16() {
        sink.write(batch(16, next16++));
    }

    @Benchmark
    @OperationsPerInvocation(256)
    public void sinkWrite256() {
        sink.write(batch(256, next256++));
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public void jacksonWrite1() throws IOException {
        jackson.write(batch(1, next1++));
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public void jacksonWrite16() throws IOException {
        jackson.write(batch(16, next16++));
    }

    @Benchmark
    @OperationsPerInvocation(256)
    public void jacksonWrite256() throws IOException {
        jackson.write(batch(256, next256++));
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public void rawWrite1() throws IOException {
        rawWrite(rawBatches1[next1++ % rawBatches1.length]);
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public void rawWrite16() throws IOException {
        rawWrite(rawBatches16[next16++ % rawBatches16.length]);
    }

    @Benchmark
    @OperationsPerInvocation(256)
    public void rawWrite256() throws IOException {
        rawWrite(rawBatches256[next256++ % rawBatches256.length]);
    }

    /**
     * The audit-file sink's write path before its hand-written encoder (AuditLineCodec.encode and
     * FileAuditSink.write at git a342b07), without the index and the locks: the baseline.
     */
    static final class LegacyWriter {
        private static final String GENESIS = "0".repeat(64);
        private static final HexFormat HEX = HexFormat.of();

        final Path path;
        private final JsonFactory factory = JsonFactory.builder().build();
        private final MessageDigest sha256;
        private final RandomAccessFile file;
        private final Buffer buffer = new Buffer();
        private String headHash = GENESIS;
        long end;

        LegacyWriter(Path path) throws IOException {
            this.path = path;
            this.file = new RandomAccessFile(path.toFile(), "rw");
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void truncate() throws IOException {
            file.setLength(0);
            end = 0;
            headHash = GENESIS;
        }

        void close() throws IOException {
            file.close();
        }

        void write(List<AuditEvent> events) throws IOException {
            buffer.reset();
            int n = events.size();
            int[] starts = new int[n];
            int[] lengths = new int[n];
            String prev = headHash;
            for (int i = 0; i < n; i++) {
                starts[i] = buffer.size();
                encode(events.get(i), prev, buffer);
                lengths[i] = buffer.size() - starts[i];
                sha256.reset();
                sha256.update(buffer.array(), starts[i], lengths[i]);
                prev = HEX.formatHex(sha256.digest());
                buffer.write('\n');
            }
            file.seek(end);
            file.write(buffer.array(), 0, buffer.size());
            end += buffer.size();
            headHash = prev;
        }

        private void encode(AuditEvent e, String prev, ByteArrayOutputStream out) {
            try (JsonGenerator g = factory.createGenerator(out)) {
                g.writeStartObject();
                g.writeStringField("id", e.id());
                g.writeStringField("timestamp", e.timestamp().toString());
                g.writeStringField("action", e.action());
                g.writeStringField("outcome", e.outcome().name());
                writeIfPresent(g, "organizationId", e.organizationId());
                writeIfPresent(g, "identityId", e.identityId());
                writeIfPresent(g, "secretKey", e.secretKey());
                if (e.version() != null) {
                    g.writeNumberField("version", e.version());
                }
                writeIfPresent(g, "actor", e.actor());
                writeIfPresent(g, "requestId", e.requestId());
                writeIfPresent(g, "remoteAddress", e.remoteAddress());
                writeIfPresent(g, "errorCode", e.errorCode());
                if (!e.details().isEmpty()) {
                    g.writeObjectFieldStart("details");
                    for (Map.Entry<String, String> d : new TreeMap<>(e.details()).entrySet()) {
                        g.writeStringField(d.getKey(), d.getValue());
                    }
                    g.writeEndObject();
                }
                g.writeStringField("prev", prev);
                g.writeEndObject();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        private static void writeIfPresent(JsonGenerator g, String name, String value) throws IOException {
            if (value != null) {
                g.writeStringField(name, value);
            }
        }

        private static final class Buffer extends ByteArrayOutputStream {
            Buffer() {
                super(64 * 1024);
            }

            byte[] array() {
                return buf;
            }
        }
    }

    /** bench/target/bench-plugins, next to the classes directory this class was loaded from. */
    private static Path benchPlugins() {
        try {
            Path classes = Path.of(AuditFileBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return classes.resolveSibling("bench-plugins");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
