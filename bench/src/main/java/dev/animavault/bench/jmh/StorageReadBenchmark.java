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
import dev.animavault.spi.storage.StoredSecret;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code StorageBackend.readSecret} of the real storage-jdbc plugin (SQLite in a temp directory, WAL,
 * loaded through PF4J from its zip in {@code bench/target/bench-plugins}, {@value #SECRETS} secrets of
 * one identity, a random one per call) against the floor: the same JOIN query as a raw JDBC
 * {@link PreparedStatement} kept open on one connection per benchmark thread, mapped into the same SPI
 * records ({@code jdbcReadSecret*}), and against {@code leanReadSecret*}: the same join selecting only
 * the columns the caller does not already know (no key columns), as the plugin's hot path does since
 * it reuses the caller's {@link SecretRef}. The sqlite-jdbc driver of the baseline is the plugin's own (loaded from the plugin's class
 * loader), so both sides run the same driver and the same database file. 1 and 4 threads.
 *
 * <p>{@code pluginReadSecret*} runs with the plugin's read cache off ({@code read-cache: off}): every call
 * is a SQLite query. {@code cachedReadSecret*} is a second backend on the same file with the cache on
 * (the SQLite default): after the first round over the {@value #SECRETS} secrets every call is a hit.
 * The uncached backend only reads once the cached one is open (the cache sees its own writes only).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class StorageReadBenchmark {

    static final int SECRETS = 1000;
    private static final String ORG = "org_bench";
    private static final String IDENTITY = "agent_123";

    /**
     * The plugin's readSecret query for the current version (storage-jdbc schema V3: the latest version inline
     * in the secret's row), with the key columns selected too.
     */
    private static final String QUERY = "SELECT s.org_id, s.identity_id, s.secret_key, s.type, s.current_version, "
            + "s.metadata, s.attributes, s.created_at, s.updated_at, s.revision"
            + ", COALESCE(v.version, s.latest_version), COALESCE(v.value, s.latest_value),"
            + " COALESCE(v.created_at, s.latest_created_at) AS v_created_at, COALESCE(v.created_by, s.latest_created_by)"
            + " FROM secrets s LEFT JOIN secret_versions v ON v.org_id = s.org_id AND v.identity_id = s.identity_id"
            + " AND v.secret_key = s.secret_key AND v.version = s.current_version AND s.current_version <> s.latest_version"
            + " WHERE s.org_id = ? AND s.identity_id = ? AND s.secret_key = ?"
            + " AND (v.version IS NOT NULL OR s.current_version = s.latest_version)";

    /**
     * The floor of the optimized plugin: the same query selecting only what the caller does not already
     * have (no key columns; the plugin reuses the caller's {@link SecretRef}).
     */
    private static final String LEAN_QUERY = "SELECT s.type, s.current_version, s.metadata, s.attributes, "
            + "s.created_at, s.updated_at, s.revision, COALESCE(v.version, s.latest_version), COALESCE(v.value, s.latest_value),"
            + " COALESCE(v.created_at, s.latest_created_at), COALESCE(v.created_by, s.latest_created_by)"
            + " FROM secrets s LEFT JOIN secret_versions v ON v.org_id = s.org_id AND v.identity_id = s.identity_id"
            + " AND v.secret_key = s.secret_key AND v.version = s.current_version AND s.current_version <> s.latest_version"
            + " WHERE s.org_id = ? AND s.identity_id = ? AND s.secret_key = ?"
            + " AND (v.version IS NOT NULL OR s.current_version = s.latest_version)";

    private Path dir;
    private PluginRegistry registry;
    private StorageBackend storage;
    private StorageBackend cached;
    private SecretRef[] refs;
    private Driver driver;
    private String url;

    @Setup(Level.Trial)
    public void setUp() throws IOException, ReflectiveOperationException {
        dir = Files.createTempDirectory("anima-jmh-storage-");
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(benchPlugins().resolve("anima-vault-plugin-storage-jdbc.zip"), plugins.resolve("storage-jdbc.zip"));
        registry = PluginRegistry.load(plugins);
        CorePluginContext context = new CorePluginContext(Clock.systemUTC(), dir, new EgressPolicy(List.of()), "dep_bench");
        var factory = registry.storageBackends().get("jdbc").factory();
        storage = factory.create(ProviderConfig.of("jdbc", Map.of("read-cache", "off"), java.util.Set.of()), context);
        Instant now = Instant.now();
        storage.createIdentity(new Identity(ORG, IDENTITY, "bench agent", Map.of(), false, now, now, 0));
        SecureRandom random = new SecureRandom();
        refs = new SecretRef[SECRETS];
        for (int i = 0; i < SECRETS; i++) {
            refs[i] = new SecretRef(ORG, IDENTITY, "SECRET_KEY_" + i);
            byte[] value = new byte[64 + 28]; // a sealed 64-byte API key: nonce + ciphertext + tag
            random.nextBytes(value);
            storage.createSecret(new SecretMetadata(refs[i], "api_key", 1, Map.of(), Map.of(), now, now, 0),
                    new SecretVersion(refs[i], 1, value, now, "bench"));
        }
        // all writes done: the cached backend (which locks the file; the uncached one takes no lock) opens now
        cached = factory.create(ProviderConfig.of("jdbc", Map.of("read-cache", "on"), java.util.Set.of()), context);
        // the baseline runs the plugin's own sqlite-jdbc, from the plugin's class loader
        ClassLoader pluginLoader = storage.getClass().getClassLoader();
        driver = (Driver) Class.forName("org.sqlite.JDBC", true, pluginLoader).getDeclaredConstructor().newInstance();
        url = "jdbc:sqlite:" + dir.resolve("anima-vault.db").toAbsolutePath();
        try (Raw raw = new Raw()) {
            raw.open(this);
            for (SecretRef ref : refs) {
                StoredSecret a = storage.readSecret(ref, OptionalInt.empty()).orElseThrow();
                for (StoredSecret b : List.of(raw.read(ref).orElseThrow(), raw.readLean(ref).orElseThrow(),
                        cached.readSecret(ref, OptionalInt.empty()).orElseThrow(),
                        cached.readSecret(ref, OptionalInt.empty()).orElseThrow())) {
                    if (!a.metadata().equals(b.metadata()) || !a.version().ref().equals(b.version().ref())
                            || a.version().version() != b.version().version()
                            || !a.version().createdAt().equals(b.version().createdAt())
                            || !a.version().createdBy().equals(b.version().createdBy())
                            || !java.util.Arrays.equals(a.version().value(), b.version().value())) {
                        throw new IllegalStateException("baseline and plugin disagree on " + ref);
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        cached.close();
        storage.close();
        registry.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The baseline's per-thread connection and prepared statement. */
    @State(Scope.Thread)
    public static class Raw implements AutoCloseable {
        private Connection connection;
        private PreparedStatement statement;
        private PreparedStatement lean;

        @Setup(Level.Trial)
        public void open(StorageReadBenchmark b) throws SQLException {
            Properties p = new Properties();
            p.setProperty("journal_mode", "WAL");
            p.setProperty("foreign_keys", "true");
            p.setProperty("busy_timeout", "5000");
            connection = b.driver.connect(b.url, p);
            statement = connection.prepareStatement(QUERY);
            lean = connection.prepareStatement(LEAN_QUERY);
        }

        Optional<StoredSecret> readLean(SecretRef ref) throws SQLException {
            lean.setString(1, ref.organizationId());
            lean.setString(2, ref.identityId());
            lean.setString(3, ref.key());
            try (ResultSet rs = lean.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                rs.getString(3);
                rs.getString(4);
                SecretMetadata m = new SecretMetadata(ref, rs.getString(1), rs.getInt(2), Map.of(), Map.of(),
                        micros(rs.getLong(5)), micros(rs.getLong(6)), rs.getLong(7));
                SecretVersion v = new SecretVersion(ref, rs.getInt(8), rs.getBytes(9), micros(rs.getLong(10)),
                        rs.getString(11));
                return Optional.of(new StoredSecret(m, v));
            }
        }

        Optional<StoredSecret> read(SecretRef ref) throws SQLException {
            statement.setString(1, ref.organizationId());
            statement.setString(2, ref.identityId());
            statement.setString(3, ref.key());
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                SecretRef r = new SecretRef(rs.getString(1), rs.getString(2), rs.getString(3));
                // metadata/attributes are stored as "{}" here; the plugin parses its JSON codec
                rs.getString(6);
                rs.getString(7);
                SecretMetadata m = new SecretMetadata(r, rs.getString(4), rs.getInt(5), Map.of(), Map.of(),
                        micros(rs.getLong(8)), micros(rs.getLong(9)), rs.getLong(10));
                SecretVersion v = new SecretVersion(r, rs.getInt(11), rs.getBytes(12), micros(rs.getLong(13)),
                        rs.getString(14));
                return Optional.of(new StoredSecret(m, v));
            }
        }

        @TearDown(Level.Trial)
        @Override
        public void close() throws SQLException {
            if (connection != null) {
                connection.close();
            }
        }
    }

    private static Instant micros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    private SecretRef randomRef() {
        return refs[ThreadLocalRandom.current().nextInt(SECRETS)];
    }

    @Benchmark
    @Threads(1)
    public Optional<StoredSecret> pluginReadSecret1() {
        return storage.readSecret(randomRef(), OptionalInt.empty());
    }

    @Benchmark
    @Threads(4)
    public Optional<StoredSecret> pluginReadSecret4() {
        return storage.readSecret(randomRef(), OptionalInt.empty());
    }

    @Benchmark
    @Threads(1)
    public Optional<StoredSecret> cachedReadSecret1() {
        return cached.readSecret(randomRef(), OptionalInt.empty());
    }

    @Benchmark
    @Threads(4)
    public Optional<StoredSecret> cachedReadSecret4() {
        return cached.readSecret(randomRef(), OptionalInt.empty());
    }

    @Benchmark
    @Threads(1)
    public Optional<StoredSecret> jdbcReadSecret1(Raw raw) throws SQLException {
        return raw.read(randomRef());
    }

    @Benchmark
    @Threads(4)
    public Optional<StoredSecret> jdbcReadSecret4(Raw raw) throws SQLException {
        return raw.read(randomRef());
    }

    @Benchmark
    @Threads(1)
    public Optional<StoredSecret> leanReadSecret1(Raw raw) throws SQLException {
        return raw.readLean(randomRef());
    }

    @Benchmark
    @Threads(4)
    public Optional<StoredSecret> leanReadSecret4(Raw raw) throws SQLException {
        return raw.readLean(randomRef());
    }

    /** bench/target/bench-plugins, next to the classes directory this class was loaded from. */
    static Path benchPlugins() {
        try {
            Path classes = Path.of(StorageReadBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return classes.resolveSibling("bench-plugins");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
