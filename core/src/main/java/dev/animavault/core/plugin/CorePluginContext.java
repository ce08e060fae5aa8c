package dev.animavault.core.plugin;

import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.SecretKey;
import javax.net.ssl.SSLContext;

/** Core's {@link PluginContext}: clock, data directory, and egress-checked HTTP clients. */
public final class CorePluginContext implements PluginContext {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final Clock clock;
    private final Path dataDirectory;
    private final EgressPolicy egress;
    private final java.util.function.Supplier<String> deploymentId;
    /**
     * Made at the first {@link #http()} (issue 19): a JDK HttpClient starts a selector thread and loads
     * ~50 classes, at every start, for plugins that mostly never call out (the default ones don't).
     */
    private volatile OutboundHttpClient defaultClient;
    /** Derives audit signing keys once the keyring is open; null before (and in tools without one). */
    private volatile Function<String, SecretKey> auditKeys;

    public CorePluginContext(Clock clock, Path dataDirectory, EgressPolicy egress, String deploymentId) {
        this(clock, dataDirectory, egress, constant(Objects.requireNonNull(deploymentId, "deploymentId is null")));
    }

    /**
     * A context whose deployment id is known later (it is kept in the keyring record, which the storage
     * backend created with this context reads): {@code deploymentId} is asked on each call.
     */
    public CorePluginContext(Clock clock, Path dataDirectory, EgressPolicy egress,
                             java.util.function.Supplier<String> deploymentId) {
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory is null");
        this.egress = Objects.requireNonNull(egress, "egress is null");
        this.deploymentId = Objects.requireNonNull(deploymentId, "deploymentId is null");
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
        OutboundHttpClient c = defaultClient;
        if (c == null) {
            synchronized (this) {
                c = defaultClient;
                if (c == null) {
                    c = client(HttpClient.newBuilder());
                    defaultClient = c;
                }
            }
        }
        return c;
    }

    @Override
    public OutboundHttpClient http(SSLContext sslContext) {
        return client(HttpClient.newBuilder().sslContext(sslContext));
    }

    @Override
    public String deploymentId() {
        return deploymentId.get();
    }

    @Override
    public boolean egressAllowListed(String host) {
        return egress.isAllowListed(host);
    }

    /**
     * Lends audit signing keys to plugins from now on: {@code derive} maps a purpose to a derived key
     * (core passes {@code Barrier::deriveAuditKey}; the keyring itself never reaches a plugin).
     */
    public void auditKeys(Function<String, SecretKey> derive) {
        this.auditKeys = Objects.requireNonNull(derive, "derive is null");
    }

    @Override
    public Optional<SecretKey> auditSigningKey(String purpose) {
        Function<String, SecretKey> derive = auditKeys;
        return derive == null ? Optional.empty() : Optional.of(derive.apply(purpose));
    }

    private OutboundHttpClient client(HttpClient.Builder builder) {
        HttpClient http = builder.followRedirects(HttpClient.Redirect.NEVER).connectTimeout(CONNECT_TIMEOUT).build();
        return request -> {
            egress.check(request.uri());
            HttpRequest effective = request.timeout().isPresent() ? request
                    : HttpRequest.newBuilder(request, (n, v) -> true).timeout(REQUEST_TIMEOUT).build();
            return http.send(effective, HttpResponse.BodyHandlers.ofByteArray());
        };
    }

    private static java.util.function.Supplier<String> constant(String value) {
        return () -> value;
    }
}
