package dev.animavault.distribution;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The packaged server, unpacked and started once for a test class that drives it through a client
 * (the Java SDK, the CLI): a fresh data directory, a free loopback port, a bootstrap API key.
 */
final class RunningVault implements AutoCloseable {
    private final VaultProcess process;
    private final String apiKey;
    private final Path home;

    private RunningVault(VaultProcess process, String apiKey, Path home) {
        this.process = process;
        this.apiKey = apiKey;
        this.home = home;
    }

    static RunningVault start(Path work) throws IOException, InterruptedException {
        Path home = Distribution.unpack(Files.createDirectories(work.resolve("unpacked")));
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String apiKey = "avk_" + HexFormat.of().formatHex(random);
        int port = VaultProcess.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("ANIMA_VAULT_HTTP_HOST", "127.0.0.1");
        env.put("ANIMA_VAULT_HTTP_PORT", Integer.toString(port));
        env.put("ANIMA_VAULT_DATA_DIR", work.resolve("data").toString());
        env.put("ANIMA_VAULT_BOOTSTRAP_TOKEN", apiKey);
        VaultProcess process = VaultProcess.start(home, work, port, env, "server");
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            process.awaitHealthy(http, Duration.ofMinutes(2));
        } catch (RuntimeException | Error | InterruptedException e) {
            process.close();
            throw e;
        }
        return new RunningVault(process, apiKey, home);
    }

    /** e.g. {@code http://127.0.0.1:41234}. */
    String baseUrl() {
        return process.baseUri().toString();
    }

    /** The organization's owner API key. */
    String apiKey() {
        return apiKey;
    }

    /** The unpacked installation ({@code bin/anima-vault}, {@code lib/}). */
    Path home() {
        return home;
    }

    String output() {
        return process.output();
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
