package dev.animavault.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Walk-through with curl" works verbatim against the packaged server started the way
 * {@code ./run-server} starts it: the {@code ```bash} block is taken from README.md, run with
 * {@code bash -euo pipefail} in a directory holding {@code .anima-vault/owner-token}, and its output
 * is checked step by step, including the {@code # {...}} output comments the README shows.
 *
 * <p>The only change to the block is the port in its {@code AV=http://127.0.0.1:8200} line.
 */
class ReadmeWalkthroughIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEADING = "## Walk-through with curl";
    private static final Pattern AV_LINE = Pattern.compile("(?m)^AV=http://127\\.0\\.0\\.1:(\\d+)$");
    private static final String FIRST_VALUE = "sk-proj-example-123";
    private static final String SECOND_VALUE = "sk-proj-example-456";

    @TempDir
    Path unpacked;

    /** The "terminal" the walk-through runs in, and where ./run-server keeps its state. */
    @TempDir
    Path cwd;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void curlWalkthroughWorksVerbatimAgainstTheStartedServer() throws Exception {
        String block = walkthroughBlock();
        List<Command> commands = topLevelCurls(block);
        Path curl = requireTool("curl");
        requireTool("sed");
        Path home = Distribution.unpack(unpacked);

        // The block talks to ./run-server's default address: the shipped config's port.
        Matcher av = AV_LINE.matcher(block);
        assertTrue(av.find(), "the walk-through should start with AV=http://127.0.0.1:<port>:\n" + block);
        String documentedPort = av.group(1);
        assertFalse(av.find(), "more than one AV= line in the walk-through");
        Matcher configuredPort = Pattern.compile("(?m)^server:\\s*\\n(?:\\s+.*\\n)*?\\s+port:\\s*(\\d+)")
                .matcher(Files.readString(home.resolve("config/anima-vault.yaml")));
        assertTrue(configuredPort.find(), "config/anima-vault.yaml has no server.port");
        assertEquals(configuredPort.group(1), documentedPort,
                "the walk-through's AV port should be the port ./run-server serves on (config server.port)");

        try (VaultProcess vault = startLikeRunServer(home)) {
            Duration startup = vault.awaitHealthy(http, Duration.ofSeconds(60));
            System.out.printf("anima-vault healthy %d ms after launch%n", startup.toMillis());

            // The one deviation from the README: the port. Everything else runs as written.
            String script = AV_LINE.matcher(block).replaceFirst(
                    "AV=http://127.0.0.1:" + vault.baseUri().getPort());
            long started = System.nanoTime();
            Run run = runBash(script, curl);
            System.out.printf("README walk-through ran in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            assertEquals(0, run.exitCode(), "the walk-through failed under bash -euo pipefail (exit "
                    + run.exitCode() + ")\nstderr:\n" + run.stderr() + "\nstdout:\n" + run.stdout()
                    + "\nserver output:\n" + vault.output());

            List<JsonNode> outputs = new ArrayList<>();
            try {
                JSON.readerFor(JsonNode.class).readValues(run.stdout()).forEachRemaining(n -> outputs.add((JsonNode) n));
            } catch (IOException e) {
                throw new AssertionError("the walk-through's output is not a sequence of JSON documents:\n" + run.stdout(), e);
            }
            assertEquals(commands.size(), outputs.size(), "each top-level curl should print one JSON document; "
                    + commands.size() + " curls, output:\n" + run.stdout());
            Walkthrough w = new Walkthrough(commands, outputs);

            // The README's own output comments: exact when written out in full, else the fields shown.
            for (int i = 0; i < commands.size(); i++) {
                for (String claim : commands.get(i).claims()) {
                    assertClaim(claim, commands.get(i), outputs.get(i));
                }
            }

            JsonNode health = w.output(c -> c.text().contains("/v1/sys/health"));
            assertEquals("ok", health.path("status").asText(), health.toString());

            // 1. the identity
            JsonNode identity = w.output(c -> c.text().contains("\"id\":\"agent_123\""));
            assertEquals("agent_123", identity.path("id").asText(), "identity not created: " + identity);
            assertEquals("Research agent", identity.path("name").asText(), identity.toString());

            // 2. version 1, the value not echoed
            JsonNode created = w.output(c -> c.text().contains("-X POST $AV/v1/vault/secrets "));
            assertEquals(1, created.path("version").asInt(), "secret create should report version 1: " + created);
            assertFalse(created.toString().contains(FIRST_VALUE), "the create response must not echo the value: " + created);

            // 4. the agent reads its own secret (so step 3's sed extracted a working token)
            JsonNode read = w.output(c -> c.text().contains("/agent_123/OPENAI_API_KEY -H \"Authorization: Bearer $AGENT\""));
            assertEquals(FIRST_VALUE, read.path("value").asText(), "the agent's read: " + read);
            assertEquals(1, read.path("version").asInt(), read.toString());

            // 5. agent_456 exists, and the agent may not read its secrets
            JsonNode other = w.output(c -> c.text().contains("\"id\":\"agent_456\""));
            assertEquals("agent_456", other.path("id").asText(), "identity agent_456 not created: " + other);
            JsonNode denied = w.output(c -> c.text().contains("/agent_456/OPENAI_API_KEY"));
            assertEquals("permission_denied", denied.path("code").asText(), "expected a denial: " + denied);
            assertEquals(403, denied.path("status").asInt(), denied.toString());
            assertFalse(denied.has("value"), denied.toString());

            // 6. a new version; version 1 still readable
            JsonNode updated = w.output(c -> c.text().contains("-X PUT"));
            assertEquals(2, updated.path("version").asInt(), "the PUT should create version 2: " + updated);
            assertFalse(updated.toString().contains(SECOND_VALUE), "the PUT response must not echo the value: " + updated);
            JsonNode version1 = w.output(c -> c.text().contains("?version=1"));
            assertEquals(FIRST_VALUE, version1.path("value").asText(), "version 1 after the PUT: " + version1);
            assertEquals(1, version1.path("version").asInt(), version1.toString());
            assertEquals(2, version1.path("currentVersion").asInt(), version1.toString());

            // 7. the audit log: the read (by the agent's token) and the denial
            JsonNode byIdentity = w.output(c -> c.text().contains("audit/logs?identityId=agent_123"));
            assertTrue(anyEvent(byIdentity, e -> "secret.read".equals(e.path("action").asText())
                            && "SUCCESS".equals(e.path("outcome").asText())
                            && "agent_123".equals(e.path("identityId").asText())
                            && "OPENAI_API_KEY".equals(e.path("secretKey").asText())
                            && e.path("actor").asText().startsWith("identity:agent_123/")),
                    "no successful secret.read by identity:agent_123/... in " + byIdentity);
            JsonNode reads = w.output(c -> c.text().contains("audit/logs?action=secret.read"));
            assertTrue(reads.path("items").size() > 0, reads.toString());
            reads.path("items").forEach(e -> assertEquals("secret.read", e.path("action").asText(), e.toString()));
            assertTrue(anyEvent(reads, e -> "DENIED".equals(e.path("outcome").asText())
                            && "agent_456".equals(e.path("identityId").asText())
                            && e.path("actor").asText().startsWith("identity:agent_123/")),
                    "no DENIED secret.read of agent_456 in " + reads);
            for (JsonNode audit : List.of(byIdentity, reads)) {
                assertFalse(audit.toString().contains(FIRST_VALUE) || audit.toString().contains(SECOND_VALUE),
                        "audit events must never contain a secret value: " + audit);
            }
        }
    }

    @Test
    void quickStartScriptsExistAndUseTheJavaEnvironment() throws IOException {
        Path root = repositoryRoot();
        assertTrue(Files.isRegularFile(root.resolve("scripts/java-env.sh")), "scripts/java-env.sh missing");
        for (String script : List.of("run-server", "run-tests")) {
            Path file = root.resolve(script);
            assertTrue(Files.isRegularFile(file), script + " missing at " + file);
            assertTrue(Files.isExecutable(file), script + " is not executable");
            List<String> head;
            try (Stream<String> lines = Files.lines(file)) {
                head = lines.limit(15).toList();
            }
            assertTrue(head.get(0).startsWith("#!") && head.get(0).contains("bash"), script + ": no bash shebang");
            assertTrue(head.stream().anyMatch(l -> l.trim().matches("(source|\\.) scripts/java-env\\.sh")),
                    script + " should source scripts/java-env.sh in its first lines:\n" + String.join("\n", head));
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** As ./run-server: state in ./.anima-vault/ (data, a writable plugins copy, owner-token 0600). */
    private VaultProcess startLikeRunServer(Path home) throws IOException {
        Path state = Files.createDirectories(cwd.resolve(".anima-vault"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        Path plugins = Files.createDirectories(state.resolve("plugins"));
        try (Stream<Path> zips = Files.list(home.resolve("plugins"))) {
            for (Path zip : zips.filter(p -> p.toString().endsWith(".zip")).toList()) {
                Files.copy(zip, plugins.resolve(zip.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String ownerToken = "avdev_" + HexFormat.of().formatHex(random);
        Path tokenFile = Files.createFile(state.resolve("owner-token"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokenFile, ownerToken);

        int port = VaultProcess.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("ANIMA_VAULT_HTTP_PORT", Integer.toString(port));
        env.put("ANIMA_VAULT_DATA_DIR", state.resolve("data").toString());
        env.put("ANIMA_VAULT_PLUGINS_DIR", plugins.toString());
        env.put("ANIMA_VAULT_BOOTSTRAP_TOKEN", ownerToken);
        return VaultProcess.start(home, cwd, port, env, "server");
    }

    private Run runBash(String script, Path curl) throws IOException, InterruptedException {
        Path scripts = Files.createDirectories(unpacked.resolve("walkthrough"));
        Path file = Files.writeString(scripts.resolve("walkthrough.sh"), script);
        Path out = scripts.resolve("stdout.txt");
        Path err = scripts.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder("bash", "-euo", "pipefail", file.toString())
                .directory(cwd.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("ANIMA_VAULT_"));
        Process bash = builder.start();
        try {
            if (!bash.waitFor(60, TimeUnit.SECONDS)) {
                fail("the walk-through did not finish within 60s (curl: " + curl + ")\nstdout:\n"
                        + Files.readString(out) + "\nstderr:\n" + Files.readString(err));
            }
            return new Run(bash.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            bash.destroyForcibly();
        }
    }

    /** The ```bash block that follows the walk-through heading in README.md. */
    private static String walkthroughBlock() throws IOException {
        Path readme = repositoryRoot().resolve("README.md");
        List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
        int heading = lines.indexOf(HEADING);
        assertTrue(heading >= 0, "README.md has no '" + HEADING + "' heading");
        int start = -1;
        for (int i = heading + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            if (lines.get(i).trim().equals("```bash")) {
                start = i + 1;
                break;
            }
        }
        assertTrue(start > 0, "no ```bash block under '" + HEADING + "' in README.md");
        StringBuilder block = new StringBuilder();
        for (int i = start; ; i++) {
            assertTrue(i < lines.size(), "the walk-through's ```bash block is not closed");
            if (lines.get(i).trim().equals("```")) {
                return block.toString();
            }
            block.append(lines.get(i)).append('\n');
        }
    }

    /**
     * The commands whose output lands on stdout: lines starting with {@code curl} (joined with their
     * {@code \} continuations), each with the {@code # {...}} output comments that follow it.
     */
    private static List<Command> topLevelCurls(String block) {
        List<Command> commands = new ArrayList<>();
        String[] lines = block.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith("curl ")) {
                StringBuilder text = new StringBuilder(line);
                while (text.toString().endsWith("\\") && i + 1 < lines.length) {
                    text.setLength(text.length() - 1);
                    text.append(' ').append(lines[++i].trim());
                }
                commands.add(new Command(text.toString(), new ArrayList<>()));
            } else if (line.startsWith("# {")) {
                assertFalse(commands.isEmpty(), "an output comment before any curl: " + line);
                commands.get(commands.size() - 1).claims().add(line.substring(2));
            }
        }
        assertFalse(commands.isEmpty(), "no curl command in the walk-through");
        return commands;
    }

    /**
     * A README output comment: written out in full ({@code {"status":"ok","storage":"jdbc"}}) it must
     * equal the output; with {@code ...} for what varies, every member it shows must be there as shown.
     */
    private static void assertClaim(String claim, Command command, JsonNode output) throws IOException {
        boolean partial = claim.contains("...");
        JsonNode expected = JSON.readTree(claim.replaceAll(",\\s*\\.\\.\\.", "").replaceAll("\\.\\.\\.\\s*,?", ""));
        if (!partial) {
            assertEquals(expected, output, "README says `" + command.text() + "` prints " + claim);
            return;
        }
        ObjectNode shown = (ObjectNode) expected;
        shown.fieldNames().forEachRemaining(name -> assertEquals(shown.get(name), output.get(name),
                "README says `" + command.text() + "` prints " + claim + "; member " + name + " differs in " + output));
    }

    private static boolean anyEvent(JsonNode page, Predicate<JsonNode> match) {
        for (JsonNode event : page.path("items")) {
            if (match.test(event)) {
                return true;
            }
        }
        return false;
    }

    private static Path repositoryRoot() {
        String root = System.getProperty("anima.repo.root");
        assertTrue(root != null, "system property anima.repo.root not set (distribution/pom.xml, failsafe)");
        return Path.of(root).toAbsolutePath().normalize();
    }

    private static Path requireTool(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        throw new AssertionError("the README walk-through needs `" + tool + "` on PATH, and there is none");
    }

    private record Command(String text, List<String> claims) {
    }

    private record Run(int exitCode, String stdout, String stderr) {
    }

    private record Walkthrough(List<Command> commands, List<JsonNode> outputs) {
        /** The output of the one top-level curl matching {@code which}. */
        JsonNode output(Predicate<Command> which) {
            List<Integer> matches = new ArrayList<>();
            for (int i = 0; i < commands.size(); i++) {
                if (which.test(commands.get(i))) {
                    matches.add(i);
                }
            }
            assertEquals(1, matches.size(), "expected exactly one matching curl in the walk-through, found "
                    + matches.size() + " among " + commands.stream().map(Command::text).toList());
            return outputs.get(matches.get(0));
        }
    }
}
