package dev.animavault.core.rotation;

import dev.animavault.core.TestVault;
import dev.animavault.core.VaultNode;
import dev.animavault.core.config.RotationConfig;
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
 * A vault server in a process of its own (for {@link RotationCrashIT}, which SIGKILLs it): args are the
 * root directory (with {@code plugins/} prepared by the test) and, for a node on PostgreSQL, the JDBC
 * URL, user, password and shared root key file, optionally followed by {@code oauth} (credential types
 * {@code api_key} and {@code oauth_refresh}) or {@code plain} ({@code api_key} only); the system property
 * {@code anima.child.token-cache-ttl} (ISO-8601) sets the token cache's lifetime, and
 * {@code anima.child.jdbc-audit=true} adds the shared audit-jdbc sink on the same database; writes its port to
 * {@code <root>/port}.
 */
public final class VaultChild {
    private VaultChild() {
    }

    static RotationConfig rotationConfig() {
        return new RotationConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1),
                List.of(Duration.ofMillis(300), Duration.ofMillis(300)), Duration.ofSeconds(2), Duration.ofHours(1));
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        VaultConfig.Builder builder = VaultConfig.builder(root.resolve("data"), root.resolve("plugins"));
        if (args.length >= 5) {
            // a node of a cluster: jdbc URL, user, password, shared root key file
            builder.storage(new dev.animavault.core.config.ProviderSpec("jdbc",
                    Map.of("url", args[1], "username", args[2], "password", args[3])))
                    .rootKeyFile(Path.of(args[4]));
        }
        builder.port(0).bootstrapToken(TestVault.OWNER_TOKEN);
        if (args.length >= 6 && args[5].equals("oauth")) {
            // the oauth_refresh plugin (OAuthRefreshTwoProcessesIT) instead of the test's generating type
            builder.credentialTypeSpecs(List.of(dev.animavault.core.config.ProviderSpec.of("api_key"),
                    new dev.animavault.core.config.ProviderSpec("oauth_refresh", Map.of("timeout", "3s",
                            "retry-after", "1s")))).defaultCredentialType("api_key");
        } else if (args.length >= 6 && args[5].equals("plain")) {
            // the packaged api_key type only (ClusterProcessesIT)
            builder.credentialTypeSpecs(List.of(dev.animavault.core.config.ProviderSpec.of("api_key")))
                    .defaultCredentialType("api_key");
        } else {
            builder.credentialTypes(List.of("test_password", "api_key")).defaultCredentialType("test_password");
        }
        if (args.length >= 5 && Boolean.getBoolean("anima.child.jdbc-audit")) {
            // the shared audit-jdbc sink on the same schema first (it answers queries and reports), then the
            // node's own file sink
            builder.audit(List.of(new dev.animavault.core.config.ProviderSpec("jdbc",
                    Map.of("url", args[1], "username", args[2], "password", args[3])),
                    new dev.animavault.core.config.ProviderSpec("file", Map.of())));
        }
        String cacheTtl = System.getProperty("anima.child.token-cache-ttl");
        if (cacheTtl != null) {
            builder.tokenCacheTtl(Duration.parse(cacheTtl));
        }
        VaultConfig config = builder
                .egressAllow(List.of("127.0.0.1"))
                .rotation(rotationConfig())
                .build();
        VaultNode node = VaultNode.start(config, Map.of(), Clock.systemUTC());
        VaultServer server = VaultServer.start(node, Clock.systemUTC());
        Path tmp = root.resolve("port.tmp");
        Files.writeString(tmp, Integer.toString(server.port()));
        Files.move(tmp, root.resolve("port"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Thread.sleep(Long.MAX_VALUE);
    }
}
