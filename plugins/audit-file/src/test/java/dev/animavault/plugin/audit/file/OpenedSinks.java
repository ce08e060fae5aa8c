package dev.animavault.plugin.audit.file;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * File sinks a test opens through the plugin's factory (configuration validated as the vault does) on the
 * test's data directory, all closed after each test: {@code @RegisterExtension final OpenedSinks sinks =
 * new OpenedSinks(() -> dataDirectory);} next to a {@code @TempDir Path dataDirectory}.
 */
final class OpenedSinks implements AfterEachCallback {
    private final Supplier<Path> dataDirectory;
    private final List<FileAuditSink> opened = new ArrayList<>();

    OpenedSinks(Supplier<Path> dataDirectory) {
        this.dataDirectory = dataDirectory;
    }

    FileAuditSink open(Map<String, String> config) {
        FileAuditSinkFactory factory = new FileAuditSinkFactory();
        FileAuditSink sink = (FileAuditSink) factory.create(
                ProviderConfig.validate(factory, config, "the test configuration"),
                TestPluginContext.denyingEgress(dataDirectory.get()));
        opened.add(sink);
        return sink;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        opened.forEach(FileAuditSink::close);
        opened.clear();
    }
}
