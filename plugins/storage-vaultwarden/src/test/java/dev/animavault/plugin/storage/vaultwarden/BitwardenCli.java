package dev.animavault.plugin.storage.vaultwarden;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the official Bitwarden CLI ({@code @bitwarden/cli}, pinned by {@code scripts/install-bw.sh}) with
 * its own data directory, the test CA ({@code NODE_EXTRA_CA_CERTS}) and {@code --nointeraction}.
 *
 * <p>Locating it: {@code ANIMA_BW_CLI}, else {@code .tools/bw} under the project root. When it is missing,
 * a CI run ({@code CI=true}) fails and tells to run {@code scripts/install-bw.sh}; a local run installs it
 * with that script.
 */
final class BitwardenCli {
    private final Path executable;
    private final Path appData;
    private final Path caPem;
    private String session;

    BitwardenCli(Path appData, Path caPem) {
        this.executable = locate();
        this.appData = appData;
        this.caPem = caPem;
    }

    static Path locate() {
        String configured = System.getenv("ANIMA_BW_CLI");
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isExecutable(p)) {
                fail("ANIMA_BW_CLI=" + configured + " is not an executable");
            }
            return p;
        }
        Path root = projectRoot();
        Path installed = root.resolve(".tools/bw/node_modules/.bin/bw");
        if (Files.isExecutable(installed)) {
            return installed;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("The Bitwarden CLI is not installed: run scripts/install-bw.sh (or set ANIMA_BW_CLI) before the tests");
        }
        try {
            Process p = new ProcessBuilder("bash", root.resolve("scripts/install-bw.sh").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.isExecutable(installed)) {
                fail("scripts/install-bw.sh failed:\n" + out);
            }
        } catch (IOException e) {
            fail("cannot run scripts/install-bw.sh: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while installing the Bitwarden CLI");
        }
        return installed;
    }

    private static Path projectRoot() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("scripts/install-bw.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the project root (scripts/install-bw.sh) above " + dir);
    }

    void session(String session) {
        this.session = session;
    }

    /** Runs {@code bw args...} and returns its standard output; fails the test on a non-zero exit. */
    String run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(List.of(args));
        command.add("--nointeraction");
        if (session != null) {
            command.add("--session");
            command.add(session);
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("BITWARDENCLI_APPDATA_DIR", appData.toString());
        pb.environment().put("NODE_EXTRA_CA_CERTS", caPem.toString());
        pb.environment().put("BW_NOINTERACTION", "true");
        pb.environment().remove("BW_SESSION");
        long started = System.nanoTime();
        Process p = pb.start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("bw " + args[0] + " did not finish in 90 s");
        }
        System.err.printf("bw %s took %d ms%n", args[0], (System.nanoTime() - started) / 1_000_000);
        if (p.exitValue() != 0) {
            fail("bw " + args[0] + " exited " + p.exitValue() + ": " + out + " " + err.join());
        }
        return out.trim();
    }
}
