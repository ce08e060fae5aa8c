package dev.animavault.core.cluster;

import dev.animavault.core.rotation.VaultChild;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A vault server in a JVM of its own ({@link VaultChild}) on a {@link PgSchema}, for tests with several
 * vault processes on one database. The caller prepares {@code <root>/plugins} (TestVault.pluginsDir);
 * the child's output goes to {@code <root>/child.log}. The first node started on a schema creates its
 * tables and the keyring (sealed by the shared root key file): start the others once it answers.
 * {@link #close} SIGKILLs the process.
 */
public final class ChildVault implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final Process process;
    private final int port;
    private final Path root;

    private ChildVault(Process process, int port, Path root) {
        this.process = process;
        this.port = port;
        this.root = root;
    }

    /**
     * Starts a child and waits (up to 60 s) until it listens.
     *
     * @param jvmOptions e.g. {@code -Danima.child.token-cache-ttl=PT5M}
     * @param mode       VaultChild's credential type choice ({@code plain}, {@code oauth}) or null for the
     *                   test's generating type
     */
    public static ChildVault start(Path root, PgSchema pg, Path rootKey, List<String> jvmOptions, String mode)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), VaultChild.class.getName(),
                root.toString(), pg.url(), String.valueOf(pg.user()), String.valueOf(pg.password()),
                rootKey.toString()));
        if (mode != null) {
            command.add(mode);
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("child.log").toFile()).start();
        Path portFile = root.resolve("port");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(portFile)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("vault child " + (p.isAlive() ? "did not start" : "exited") + " (see "
                        + root.resolve("child.log") + ")");
            }
            Thread.sleep(100);
        }
        return new ChildVault(p, Integer.parseInt(Files.readString(portFile).trim()), root);
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    public Path root() {
        return root;
    }

    /** An HTTP call to this node with a bearer token; a non-null body is sent as JSON. */
    public HttpResponse<String> call(String method, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
