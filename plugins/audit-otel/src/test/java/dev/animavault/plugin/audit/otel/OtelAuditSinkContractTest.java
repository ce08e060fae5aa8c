package dev.animavault.plugin.audit.otel;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.testkit.AuditSinkContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shared audit sink contract (lifecycle part; the sink is not queryable) against a real receiver. */
@Timeout(60)
class OtelAuditSinkContractTest extends AuditSinkContract {
    @TempDir
    Path dataDirectory;
    private final OtlpReceiver receiver = new OtlpReceiver();

    OtelAuditSinkContractTest() throws Exception {
    }

    @AfterEach
    void stop() {
        receiver.close();
    }

    @Override
    protected AuditSink newSink() {
        OtelAuditSinkFactory factory = new OtelAuditSinkFactory(Map.<String, String>of()::get);
        return factory.create(ProviderConfig.validate(factory, Map.of("endpoint", receiver.endpoint()), "test"),
                TestPluginContext.withHttp(dataDirectory));
    }
}
