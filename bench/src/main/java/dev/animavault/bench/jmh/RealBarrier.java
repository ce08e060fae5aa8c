package dev.animavault.bench.jmh;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Core's barrier opened the way the server opens it: the keyring in the real storage-jdbc plugin
 * (SQLite in a temp directory, loaded through PF4J from its zip in {@code bench/target/bench-plugins}),
 * wrapped by a generated root key file. Closing it deletes the temp directory.
 */
final class RealBarrier implements AutoCloseable {
    private final Path dir;
    private final PluginRegistry registry;
    private final StorageBackend storage;
    private final Barrier barrier;

    RealBarrier() throws IOException {
        dir = Files.createTempDirectory("anima-jmh-");
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(benchPlugins().resolve("anima-vault-plugin-storage-jdbc.zip"), plugins.resolve("storage-jdbc.zip"));
        registry = PluginRegistry.load(plugins);
        storage = registry.storageBackends().get("jdbc").factory().create(ProviderConfig.empty("jdbc"),
                new CorePluginContext(Clock.systemUTC(), dir, new EgressPolicy(List.of()), "dep_bench"));
        barrier = Barrier.open(storage, RootKey.loadOrCreate(dir.resolve("root.key"), Map.of()), Clock.systemUTC());
    }

    Barrier barrier() {
        return barrier;
    }

    @Override
    public void close() throws IOException {
        storage.close();
        registry.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** bench/target/bench-plugins, next to the classes directory this class was loaded from. */
    private static Path benchPlugins() {
        try {
            Path classes = Path.of(RealBarrier.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return classes.resolveSibling("bench-plugins");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
