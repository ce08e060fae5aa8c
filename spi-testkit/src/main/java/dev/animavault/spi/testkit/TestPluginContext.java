package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.VaultException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * A {@link PluginContext} for plugin tests: a data directory (usually a JUnit {@code @TempDir}), a clock
 * (the system UTC clock unless given), a fixed deployment id, and an outbound policy chosen by the
 * factory method: {@link #denyingEgress} refuses every call (plugins under test that talk to local
 * resources only), {@link #withHttp} sends calls with a real JDK client that, like core's, never follows
 * redirects and has a connect timeout, but applies no egress allow-list (and reports loopback hosts as
 * allow-listed, as a deployment that lists 127.0.0.1 would). Thread-safe.
 *
 * <p>To hand a factory the configuration core would, use
 * {@link dev.animavault.spi.ProviderConfig#validate}.
 */
public final class TestPluginContext implements PluginContext {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final String DEPLOYMENT_ID = "test-deployment";

    private final Path dataDirectory;
    private final Clock clock;
    private final boolean egressAllowed;

    private TestPluginContext(Path dataDirectory, Clock clock, boolean egressAllowed) {
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.egressAllowed = egressAllowed;
    }

    /**
     * A context whose clients refuse every outbound call with {@link ErrorCode#EGRESS_DENIED}.
     *
     * @param dataDirectory an existing, writable directory
     */
    public static TestPluginContext denyingEgress(Path dataDirectory) {
        return denyingEgress(dataDirectory, Clock.systemUTC());
    }

    /**
     * A context whose clients refuse every outbound call with {@link ErrorCode#EGRESS_DENIED}.
     *
     * @param dataDirectory an existing, writable directory
     * @param clock         the clock the plugin should use
     */
    public static TestPluginContext denyingEgress(Path dataDirectory, Clock clock) {
        return new TestPluginContext(dataDirectory, clock, false);
    }

    /**
     * A context whose clients send calls with a JDK {@link HttpClient} (no redirects, 5 s connect timeout).
     *
     * @param dataDirectory an existing, writable directory
     */
    public static TestPluginContext withHttp(Path dataDirectory) {
        return withHttp(dataDirectory, Clock.systemUTC());
    }

    /**
     * A context whose clients send calls with a JDK {@link HttpClient} (no redirects, 5 s connect timeout).
     *
     * @param dataDirectory an existing, writable directory
     * @param clock         the clock the plugin should use
     */
    public static TestPluginContext withHttp(Path dataDirectory, Clock clock) {
        return new TestPluginContext(dataDirectory, clock, true);
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
        return egressAllowed ? client(HttpClient.newBuilder()) : TestPluginContext::deny;
    }

    @Override
    public OutboundHttpClient http(SSLContext sslContext) {
        requireNonNull(sslContext, "sslContext is null");
        return egressAllowed ? client(HttpClient.newBuilder().sslContext(sslContext)) : TestPluginContext::deny;
    }

    @Override
    public String deploymentId() {
        return DEPLOYMENT_ID;
    }

    /** A context with HTTP treats loopback as allow-listed (test servers run there); one without, nothing. */
    @Override
    public boolean egressAllowListed(String host) {
        return egressAllowed && host != null
                && (host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]") || host.equals("::1"));
    }

    private static OutboundHttpClient client(HttpClient.Builder builder) {
        HttpClient client = builder.followRedirects(HttpClient.Redirect.NEVER).connectTimeout(CONNECT_TIMEOUT).build();
        return request -> client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> deny(HttpRequest request) {
        throw new VaultException(ErrorCode.EGRESS_DENIED,
                "the test context allows no outbound calls (host " + request.uri().getHost() + ")");
    }

    @Override
    public String toString() {
        return "TestPluginContext[" + dataDirectory + (egressAllowed ? ", http" : ", no egress") + "]";
    }
}
