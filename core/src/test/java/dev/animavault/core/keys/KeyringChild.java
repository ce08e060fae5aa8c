package dev.animavault.core.keys;

import dev.animavault.core.TestVault;
import dev.animavault.core.VaultNode;
import dev.animavault.core.config.KeyringConfig;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.http.VaultServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A vault server in a process of its own for {@link KeyringCrashIT} (which SIGKILLs it): args are the root
 * directory (with {@code plugins/} prepared by the test) and the re-encryption rate (versions per second);
 * writes its port to {@code <root>/port}.
 */
public final class KeyringChild {
    private KeyringChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int rate = Integer.parseInt(args[1]);
        VaultConfig config = VaultConfig.builder(root.resolve("data"), root.resolve("plugins"))
                .port(0)
                .bootstrapToken(TestVault.OWNER_TOKEN)
                .credentialTypes(List.of("api_key"))
                .keyring(new KeyringConfig(Duration.ofDays(90), 1_000_000, 50, Duration.ofMillis(100), true, rate, 5,
                        Duration.ofDays(30)))
                .build();
        VaultNode node = VaultNode.start(config, Map.of(), Clock.systemUTC());
        VaultServer server = VaultServer.start(node, Clock.systemUTC());
        Path tmp = root.resolve("port.tmp");
        Files.writeString(tmp, Integer.toString(server.port()));
        Files.move(tmp, root.resolve("port"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Thread.sleep(Long.MAX_VALUE);
    }
}
