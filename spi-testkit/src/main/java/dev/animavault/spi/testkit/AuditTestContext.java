package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.ProviderFactory;
import dev.animavault.spi.VaultException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * A {@link PluginContext} for audit sink tests: a data directory (usually a JUnit {@code @TempDir}), a
 * clock, and an egress policy that refuses every outbound call (audit sinks under test talk to local
 * resources only). Also builds a {@link ProviderConfig} the way core does, see {@link #config}.
 */
public final class AuditTestContext implements PluginContext {
    private final Path dataDirectory;
    private final Clock clock;
    private final OutboundHttpClient denyAll;

    /**
     * @param dataDirectory an existing, writable directory
     * @param clock         the clock the plugin should use
     */
    public AuditTestContext(Path dataDirectory, Clock clock) {
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.denyAll = request -> {
            throw new VaultException(ErrorCode.EGRESS_DENIED,
                    "the audit test context allows no outbound calls (host " + request.uri().getHost() + ")");
        };
    }

    /** A context over the given directory with the system UTC clock. */
    public AuditTestContext(Path dataDirectory) {
        this(dataDirectory, Clock.systemUTC());
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public OutboundHttpClient http() {
        return denyAll;
    }

    @Override
    public OutboundHttpClient http(SSLContext sslContext) {
        requireNonNull(sslContext, "sslContext is null");
        return denyAll;
    }

    @Override
    public String deploymentId() {
        return "audit-test-deployment";
    }

    /**
     * Builds the configuration core would hand the factory: the given values plus the defaults of every
     * declared property that is absent, with sensitive keys marked. Fails (as core's startup does) when a
     * key is not declared or a required key is missing.
     *
     * @param factory the factory whose {@link ProviderFactory#configProperties()} apply
     * @param values  the configured values (keys as declared)
     * @return the validated configuration
     * @throws IllegalArgumentException naming the offending key
     */
    public static ProviderConfig config(ProviderFactory<?> factory, Map<String, String> values) {
        requireNonNull(factory, "factory is null");
        requireNonNull(values, "values is null");
        List<ConfigProperty> declared = factory.configProperties();
        Set<String> names = new HashSet<>();
        declared.forEach(p -> names.add(p.name()));
        for (String key : values.keySet()) {
            if (!names.contains(key)) {
                throw new IllegalArgumentException("configuration key '" + key + "' is not declared by provider '"
                        + factory.name() + "'; declared keys: " + names);
            }
        }
        Map<String, String> effective = new HashMap<>(values);
        Set<String> sensitive = new HashSet<>();
        for (ConfigProperty p : declared) {
            if (!effective.containsKey(p.name()) && p.defaultValue() != null) {
                effective.put(p.name(), p.defaultValue());
            }
            if (p.required() && !effective.containsKey(p.name())) {
                throw new IllegalArgumentException("configuration key '" + p.name() + "' of provider '"
                        + factory.name() + "' is required");
            }
            if (p.sensitive()) {
                sensitive.add(p.name());
            }
        }
        return ProviderConfig.of(factory.name(), effective, sensitive);
    }

    @Override
    public String toString() {
        return "AuditTestContext[" + dataDirectory + "]";
    }
}
