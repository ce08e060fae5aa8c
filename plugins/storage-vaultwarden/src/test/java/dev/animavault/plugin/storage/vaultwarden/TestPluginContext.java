package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * A {@link PluginContext} for tests: the system clock (or a given one), a temporary data directory and an
 * outbound client that, like core's, never follows redirects and has a connect timeout.
 */
final class TestPluginContext implements PluginContext {
    private final Path dataDirectory;
    private final Clock clock;

    TestPluginContext(Path dataDirectory, Clock clock) {
        this.dataDirectory = dataDirectory;
        this.clock = clock;
    }

    TestPluginContext(Path dataDirectory) {
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
        return client(HttpClient.newBuilder());
    }

    @Override
    public OutboundHttpClient http(SSLContext sslContext) {
        return client(HttpClient.newBuilder().sslContext(sslContext));
    }

    private static OutboundHttpClient client(HttpClient.Builder builder) {
        HttpClient client = builder.followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
        return request -> client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    @Override
    public String deploymentId() {
        return "test-deployment";
    }
}
