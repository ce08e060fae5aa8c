package dev.animavault.distribution;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of the unpacked distribution's {@code bin/anima-vault}, as a separate OS process with its
 * output captured to a file (never a pipe, so a chatty server cannot block on a full buffer).
 */
final class VaultProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private VaultProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts {@code <home>/bin/anima-vault <args>} in {@code workDir}. The child inherits this JVM's
     * environment minus any {@code ANIMA_VAULT_*} variables, plus {@code env}.
     */
    static VaultProcess start(Path home, Path workDir, int port, Map<String, String> env, String... args)
            throws IOException {
        requireNonNull(home, "home is null");
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/anima-vault").toString());
        command.addAll(List.of(args));
        return launch(command, workDir, port, env);
    }

    /**
     * As {@link #start}, with the open-files limit (soft and hard, as {@code ulimit -n} sets both) lowered
     * to {@code maxOpenFiles} first, so that descriptor exhaustion is reachable with a few hundred sockets.
     */
    static VaultProcess startWithOpenFilesLimit(Path home, Path workDir, int port, Map<String, String> env,
                                                int maxOpenFiles, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", "-c", "ulimit -n " + maxOpenFiles
                + " && exec \"$0\" \"$@\"", home.resolve("bin/anima-vault").toString()));
        command.addAll(List.of(args));
        return launch(command, workDir, port, env);
    }

    private static VaultProcess launch(List<String> command, Path workDir, int port, Map<String, String> env)
            throws IOException {
        Path log = Files.createTempFile(workDir, "vault-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("ANIMA_VAULT_"));
        builder.environment().putAll(env);
        return new VaultProcess(builder.start(), log, port);
    }

    /** A TCP port on the loopback interface that was free a moment ago. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    URI baseUri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    Process process() {
        return process;
    }

    /** Everything the process printed so far (stdout and stderr interleaved). */
    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<could not read " + log + ": " + e + ">";
        }
    }

    /**
     * Polls {@code GET /v1/sys/health} until it answers 200 and returns how long that took; fails with
     * the process output if the process exits first or the timeout passes.
     */
    Duration awaitHealthy(HttpClient http, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        HttpRequest health = HttpRequest.newBuilder(baseUri().resolve("/v1/sys/health"))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        String lastAttempt = "no attempt yet";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("anima-vault exited with " + process.exitValue()
                        + " before it was healthy; output:\n" + output());
            }
            try {
                HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
                lastAttempt = "status " + response.statusCode() + ": " + response.body();
            } catch (IOException e) {
                lastAttempt = e.toString();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("anima-vault was not healthy within " + timeout + " (last attempt: "
                + lastAttempt + "); output:\n" + output());
    }

    /** SIGTERM, as a supervisor would stop it; waits for the exit and returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("anima-vault did not stop within 30s of SIGTERM; output:\n" + output());
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no flush, no chance to finish anything. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("anima-vault survived SIGKILL for 10s");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
