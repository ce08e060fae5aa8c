package dev.animavault.core.storage;

import dev.animavault.core.TestVault;
import dev.animavault.core.config.ProviderSpec;
import java.nio.file.Path;
import java.util.Map;

/**
 * A vault server on the file backend in a JVM of its own, for {@link FileStorageServerCrashTest}: starts
 * on {@code <root>} (its plugins directory reused after the first start), prints {@code port <n>} and
 * serves until killed.
 */
public final class ServerChild {

    private ServerChild() {
    }

    public static void main(String[] args) throws Exception {
        TestVault vault = TestVault.start(Path.of(args[0]), b -> b.storage(new ProviderSpec("file", Map.of())));
        System.out.println("port " + vault.uri("/").getPort());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
