package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.ProviderFactory;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.MaterializationContext;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.storage.SecretRef;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * A {@link PluginContext} for credential type tests (data directory, clock, an egress policy that
 * refuses every outbound call) and a {@link MaterializationContext} that records the values a type
 * asks to store. Types that call out (OAuth) build their own context with an allow-listed client.
 */
public final class CredentialTestContext implements PluginContext, MaterializationContext {
    private final Path dataDirectory;
    private final Clock clock;
    private final SecretRef ref = new SecretRef("org_contract", "agent_contract", "CONTRACT_KEY");
    private final List<SecretValue> replaced = new CopyOnWriteArrayList<>();
    private final OutboundHttpClient denyAll = request -> {
        throw new VaultException(ErrorCode.EGRESS_DENIED,
                "the credential test context allows no outbound calls (host " + request.uri().getHost() + ")");
    };

    /** A context over the given existing directory with the system UTC clock. */
    public CredentialTestContext(Path dataDirectory) {
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.clock = Clock.systemUTC();
    }

    /**
     * The configuration core would hand the factory: the values plus declared defaults; undeclared or
     * missing required keys fail. Same rules as {@link AuditTestContext#config}.
     */
    public static ProviderConfig config(ProviderFactory<?> factory, Map<String, String> values) {
        return AuditTestContext.config(factory, values);
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
        return "credential-test-deployment";
    }

    @Override
    public SecretRef ref() {
        return ref;
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public void replaceStoredValue(SecretValue newValue) {
        replaced.add(SecretValue.of(requireNonNull(newValue, "newValue is null").bytes()));
    }

    /** The values the type handed to {@link #replaceStoredValue}, oldest first. */
    public List<SecretValue> replacedValues() {
        return List.copyOf(replaced);
    }

    @Override
    public String toString() {
        return "CredentialTestContext[" + dataDirectory + ", " + replaced.size() + " replaced values]";
    }
}
