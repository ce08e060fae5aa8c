package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.VaultException;
import java.nio.file.Path;
import java.time.Clock;
import javax.net.ssl.SSLContext;

/** The plugin context storage tests hand to the factory: a data directory and the system clock; no egress. */
record TestContext(Path dataDirectory) implements PluginContext {

    TestContext {
        requireNonNull(dataDirectory, "dataDirectory is null");
    }

    @Override
    public Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    public OutboundHttpClient http() {
        return request -> {
            throw new VaultException(ErrorCode.EGRESS_DENIED, "the storage plugin makes no outbound calls ("
                    + request.uri().getHost() + ")");
        };
    }

    @Override
    public OutboundHttpClient http(SSLContext sslContext) {
        return http();
    }

    @Override
    public String deploymentId() {
        return "storage-jdbc-test";
    }
}
