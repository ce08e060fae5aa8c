package dev.animavault.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged product, tested the way an operator gets it: unpack {@code anima-vault-<version>.tar.gz}
 * with {@code tar}, start {@code bin/anima-vault server} as a separate process on the embedded default
 * (SQLite + audit file, loaded from the bundled plugin zips), and use it over HTTP like an agent would.
 *
 * <p>Secret values are never put in assertion messages or printed.
 */
class DistributionIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration HEALTHY_WITHIN = Duration.ofSeconds(60);

    @TempDir
    static Path unpacked;

    /** The unpacked installation directory, {@code anima-vault-<version>/}. */
    private static Path home;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<VaultProcess> started = new ArrayList<>();

    @TempDir
    Path work;

    @BeforeAll
    static void unpackTarball() throws Exception {
        home = Distribution.unpack(unpacked);
        Path launcher = home.resolve("bin/anima-vault");
        assertTrue(Files.isExecutable(launcher), "bin/anima-vault missing or not executable");
        assertTrue(Files.getPosixFilePermissions(launcher).contains(PosixFilePermission.OTHERS_EXECUTE),
                "bin/anima-vault should be executable by everyone: " + Files.getPosixFilePermissions(launcher));
        assertTrue(Files.isRegularFile(home.resolve("config/anima-vault.yaml")), "config/anima-vault.yaml missing");
        for (String plugin : List.of("storage-jdbc", "credential-api-key", "credential-password", "credential-oauth-refresh",
                "audit-file", "audit-jdbc", "storage-vaultwarden", "storage-file", "rootkey-pkcs11", "audit-otel")) {
            assertTrue(Files.isRegularFile(home.resolve("plugins/" + plugin + ".zip")), "plugins/" + plugin + ".zip missing");
        }
        try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
            List<String> jars = lib.map(p -> p.getFileName().toString()).toList();
            assertTrue(jars.stream().anyMatch(j -> j.startsWith("anima-vault-core-")), "lib/ lacks core: " + jars);
            assertTrue(jars.stream().allMatch(j -> j.endsWith(".jar")), "lib/ holds only jars: " + jars);
            assertFalse(jars.stream().anyMatch(j -> j.startsWith("sqlite-jdbc") || j.startsWith("HikariCP")),
                    "plugin dependencies belong in the plugin zip, not lib/: " + jars);
            // issue 19 (fifteenth pass): storage-jdbc's read cache uses the host's Caffeine (from lib/, which the
            // JDK AOT cache holds); a copy in the plugin zip was loaded a second time at every start
            assertTrue(jars.stream().anyMatch(j -> j.startsWith("caffeine-")), "lib/ ships Caffeine: " + jars);
            try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(home.resolve("plugins/storage-jdbc.zip").toFile())) {
                List<String> pluginLib = zip.stream().map(java.util.zip.ZipEntry::getName)
                        .filter(n -> n.startsWith("lib/") && n.endsWith(".jar")).toList();
                assertTrue(pluginLib.stream().anyMatch(n -> n.startsWith("lib/sqlite-jdbc")), "zip read: " + pluginLib);
                assertFalse(pluginLib.stream().anyMatch(n -> n.startsWith("lib/caffeine-")),
                        "storage-jdbc uses the host's Caffeine, not its own copy: " + pluginLib);
            }
            // issue 19: BouncyCastle once, without its signature (the JDK verified it at every start), all classes kept
            List<String> bc = jars.stream().filter(j -> j.startsWith("bcprov-")).toList();
            assertEquals(1, bc.size(), "one BouncyCastle jar in lib/: " + jars);
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(home.resolve("lib").resolve(bc.get(0)).toFile(),
                    true)) {
                assertFalse(jar.stream().anyMatch(e -> e.getName().matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)")),
                        "BouncyCastle's signature files are left out");
                java.util.jar.JarEntry sip = jar.getJarEntry("org/bouncycastle/crypto/macs/SipHash.class");
                assertTrue(sip != null, "BouncyCastle's classes are kept");
                try (var in = jar.getInputStream(sip)) {
                    in.readAllBytes();
                }
                assertEquals(null, sip.getCodeSigners(), "the JDK sees no signer to verify");
                // issue 19 (eighth pass): the manifest's main section only; the JDK parses all of it at the first
                // class load, and the 5,933 per-entry digest sections (855 KB) served only the signature
                java.util.jar.Manifest manifest = jar.getManifest();
                assertEquals(Map.of(), manifest.getEntries(), "no per-entry sections in BouncyCastle's manifest");
                assertEquals("true", manifest.getMainAttributes().getValue("Multi-Release"),
                        "the main section is kept (Multi-Release)");
                assertEquals("bcprov", manifest.getMainAttributes().getValue("Bundle-SymbolicName"));
                assertTrue(jar.isMultiRelease(), "still read as a multi-release jar");
                try (var in = new java.util.jar.JarInputStream(Files.newInputStream(home.resolve("lib").resolve(bc.get(0))))) {
                    assertTrue(in.getManifest() != null, "a stream reader finds the manifest at the start of the jar");
                }
            }
        }
    }

    @AfterEach
    void destroyProcesses() throws InterruptedException {
        for (VaultProcess process : started) {
            process.close();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void agentStoresReadsAndIsAuditedOverHttp() throws Exception {
        Path dataDir = work.resolve("data");
        String orgKey = newBootstrapToken();
        VaultProcess vault = startServer(dataDir, orgKey);
        Duration startup = vault.awaitHealthy(http, HEALTHY_WITHIN);
        System.out.printf("anima-vault healthy %d ms after launch (fresh data directory)%n", startup.toMillis());
        assertLaunchedJvmDirectly(vault);
        assertHeapCapFollowsCores(vault);
        assertCompilerThreadsAt(vault, 0); // ANIMA_VAULT_COMPILER_NICE is off by default

        Response health = call(vault, "GET", "/v1/sys/health", null, null);
        assertEquals("ok", health.json().path("status").asText(), health.body());

        // Identities
        Response created = call(vault, "POST", "/v1/identities", orgKey,
                Map.of("id", "agent_123", "name", "Support agent"));
        assertEquals(201, created.status(), created.body());
        assertEquals("agent_123", created.json().path("id").asText(), created.body());
        assertFalse(created.json().path("organizationId").asText().isEmpty(), created.body());
        Response other = call(vault, "POST", "/v1/identities", orgKey, Map.of("id", "agent_456", "name", "Billing agent"));
        assertEquals(201, other.status(), other.body());

        // Secrets, stored with the organization key
        String openAiKey = newSecretValue("sk-proj-");
        String otherAgentsKey = newSecretValue("sk-proj-");
        Response stored = call(vault, "POST", "/v1/vault/secrets", orgKey, Map.of(
                "identityId", "agent_123", "key", "OPENAI_API_KEY", "value", openAiKey, "type", "api_key"));
        assertEquals(201, stored.status(), stored.body());
        assertFalse(stored.body().contains(openAiKey), "the create response must not echo the value");
        Response storedOther = call(vault, "POST", "/v1/vault/secrets", orgKey, Map.of(
                "identityId", "agent_456", "key", "OPENAI_API_KEY", "value", otherAgentsKey, "type", "api_key"));
        assertEquals(201, storedOther.status(), storedOther.body());

        // The agent's own token
        Response issued = call(vault, "POST", "/v1/identities/agent_123/tokens", orgKey, Map.of());
        assertEquals(201, issued.status(), "token issue failed with " + issued.status());
        String agentToken = issued.json().path("token").asText();
        assertTrue(agentToken.startsWith("avt_"), "identity tokens carry the avt_ prefix");

        // Runtime retrieval by the agent
        Response read = call(vault, "GET", "/v1/vault/secrets/agent_123/OPENAI_API_KEY", agentToken, null);
        assertEquals(200, read.status(), "secret read failed with " + read.status());
        assertEquals("agent_123", read.json().path("identityId").asText());
        assertEquals("OPENAI_API_KEY", read.json().path("key").asText());
        assertEquals("api_key", read.json().path("type").asText());
        assertEquals(1, read.json().path("version").asInt());
        assertTrue(openAiKey.equals(read.json().path("value").asText()), "the value read back differs from the one stored");

        // Another identity's secret: denied, as problem+json, without the value
        Response denied = call(vault, "GET", "/v1/vault/secrets/agent_456/OPENAI_API_KEY", agentToken, null);
        assertEquals(403, denied.status(), denied.body());
        assertTrue(denied.contentType().startsWith("application/problem+json"), denied.contentType());
        assertEquals("permission_denied", denied.json().path("code").asText(), denied.body());
        assertEquals(403, denied.json().path("status").asInt(), denied.body());
        assertFalse(denied.body().contains(otherAgentsKey), "a denial must not carry the value");

        // The audit trail, read with the organization key, has both
        List<JsonNode> events = new ArrayList<>();
        for (String identity : List.of("agent_123", "agent_456")) {
            Response logs = call(vault, "GET", "/v1/vault/audit/logs?identityId=" + identity + "&limit=100", orgKey, null);
            assertEquals(200, logs.status(), logs.body());
            logs.json().path("items").forEach(events::add);
            assertFalse(logs.body().contains(openAiKey) || logs.body().contains(otherAgentsKey),
                    "audit events must never contain a secret value");
        }
        JsonNode readEvent = events.stream()
                .filter(e -> "secret.read".equals(e.path("action").asText())
                        && "SUCCESS".equals(e.path("outcome").asText())
                        && "agent_123".equals(e.path("identityId").asText())
                        && "OPENAI_API_KEY".equals(e.path("secretKey").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no successful secret.read of agent_123/OPENAI_API_KEY in " + events));
        for (String member : List.of("id", "timestamp", "organizationId", "actor", "requestId")) {
            assertFalse(readEvent.path(member).asText().isEmpty(), "audit event lacks " + member + ": " + readEvent);
        }
        assertEquals(1, readEvent.path("version").asInt(), readEvent.toString());
        assertTrue(events.stream().anyMatch(e -> "DENIED".equals(e.path("outcome").asText())
                        && "OPENAI_API_KEY".equals(e.path("secretKey").asText())
                        && "agent_456".equals(e.path("identityId").asText())),
                "no DENIED event for the read of agent_456/OPENAI_API_KEY in " + events);

        assertStoppedCleanly(vault);
        assertNoFileContains(dataDir, Map.of(
                "agent_123's secret value", openAiKey,
                "agent_456's secret value", otherAgentsKey,
                "the identity token", agentToken,
                "the owner API key", orgKey));
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void writeAcknowledgedBeforeKillDashNineSurvivesRestart() throws Exception {
        Path dataDir = work.resolve("data");
        String orgKey = newBootstrapToken();
        VaultProcess first = startServer(dataDir, orgKey);
        first.awaitHealthy(http, HEALTHY_WITHIN);

        assertEquals(201, call(first, "POST", "/v1/identities", orgKey, Map.of("id", "agent_123", "name", "a")).status());
        Response issued = call(first, "POST", "/v1/identities/agent_123/tokens", orgKey, Map.of());
        assertEquals(201, issued.status(), "token issue failed with " + issued.status());
        String agentToken = issued.json().path("token").asText();

        String version1 = newSecretValue("pw-");
        String version2 = newSecretValue("pw-");
        Response create = call(first, "POST", "/v1/vault/secrets", orgKey, Map.of(
                "identityId", "agent_123", "key", "DATABASE_PASSWORD", "value", version1, "type", "api_key"));
        assertEquals(201, create.status(), create.body());
        Response rotate = call(first, "PUT", "/v1/vault/secrets/agent_123/DATABASE_PASSWORD", orgKey,
                Map.of("value", version2));
        assertTrue(rotate.status() / 100 == 2, "adding a version failed: " + rotate.status() + " " + rotate.body());
        first.kill(); // the instant the 2xx arrived

        // the restart with the JIT compilers lowered (issue 19's opt-in), so that path is exercised end to end too
        VaultProcess second = startServer(dataDir, orgKey, Map.of("ANIMA_VAULT_COMPILER_NICE", "5"));
        Duration restart = second.awaitHealthy(http, HEALTHY_WITHIN);
        System.out.printf("anima-vault healthy %d ms after restart on existing data%n", restart.toMillis());
        assertCompilerThreadsAt(second, 5);

        Response current = call(second, "GET", "/v1/vault/secrets/agent_123/DATABASE_PASSWORD", agentToken, null);
        assertEquals(200, current.status(), "read after restart failed with " + current.status());
        assertEquals(2, current.json().path("version").asInt());
        assertTrue(version2.equals(current.json().path("value").asText()), "the acknowledged version 2 was lost");
        Response previous = call(second, "GET", "/v1/vault/secrets/agent_123/DATABASE_PASSWORD?version=1", agentToken, null);
        assertEquals(200, previous.status(), "read of version 1 after restart failed with " + previous.status());
        assertTrue(version1.equals(previous.json().path("value").asText()), "version 1 was lost");

        assertStoppedCleanly(second);
        assertNoFileContains(dataDir, Map.of(
                "version 1", version1, "version 2", version2, "the identity token", agentToken, "the owner API key", orgKey));
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void initPrintsTheOwnerKeyOnceAndTheServerAcceptsIt() throws Exception {
        Path dataDir = work.resolve("data");
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("ANIMA_VAULT_DATA_DIR", dataDir.toString());

        Result init = runCommand(env, "init", "--json");
        assertEquals(0, init.exitCode(), "init failed:\n" + init.errors());
        JsonNode printed = JSON.readTree(init.output());
        String ownerKey = printed.path("apiKey").asText();
        assertTrue(ownerKey.startsWith("avk_"), "init --json should print the owner API key (avk_...)");
        assertFalse(printed.path("organizationId").asText().isEmpty(), "init --json should print the organization id");
        assertFalse(init.errors().contains(ownerKey), "the owner key belongs on stdout only, never in the log");

        Result again = runCommand(env, "init", "--json");
        assertNotEquals(0, again.exitCode(), "a second init must not create another owner key");
        assertFalse(again.output().contains("avk_"), "a refused init must print no key");
        assertTrue(again.errors().contains("already initialized"), again.errors());

        int port = VaultProcess.freePort();
        env.put("ANIMA_VAULT_HTTP_HOST", "127.0.0.1");
        env.put("ANIMA_VAULT_HTTP_PORT", Integer.toString(port));
        VaultProcess vault = track(VaultProcess.start(home, work, port, env, "server"));
        vault.awaitHealthy(http, HEALTHY_WITHIN);
        Response created = call(vault, "POST", "/v1/identities", ownerKey, Map.of("id", "agent_123", "name", "a"));
        assertEquals(201, created.status(), created.body());
        Response wrongKey = call(vault, "POST", "/v1/identities", "avk_" + randomText(32), Map.of("id", "agent_456", "name", "b"));
        assertEquals(401, wrongKey.status(), wrongKey.body());
        assertTrue(wrongKey.contentType().startsWith("application/problem+json"), wrongKey.contentType());
        assertStoppedCleanly(vault);
        assertNoFileContains(dataDir, Map.of("the owner API key", ownerKey));
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void unknownStorageBackendStopsStartupNamingWhatExists() throws Exception {
        String shipped = Files.readString(home.resolve("config/anima-vault.yaml"));
        String broken = shipped.replaceFirst("(?m)^(\\s+type:\\s*)jdbc\\b", "$1nosuch");
        assertNotEquals(shipped, broken, "the shipped config no longer has a 'type: jdbc' storage line to replace");
        Path config = Files.writeString(work.resolve("nosuch.yaml"), broken);

        Map<String, String> env = serverEnv(work.resolve("data"), newBootstrapToken(), VaultProcess.freePort());
        env.put("ANIMA_VAULT_CONFIG", config.toString());
        VaultProcess vault = track(VaultProcess.start(home, work, 0, env, "server"));
        assertTrue(vault.process().waitFor(20, TimeUnit.SECONDS),
                "startup with an unknown storage backend should fail within 20s; output:\n" + vault.output());
        assertNotEquals(0, vault.process().exitValue(), vault.output());
        String output = vault.output();
        assertTrue(output.contains("nosuch"), "the error should name the unknown backend:\n" + output);
        assertTrue(output.contains("jdbc"), "the error should list the available backends:\n" + output);
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void launcherFindsAJdkWithoutJavaHomeFromAnyDirectoryThroughASymlink() throws Exception {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path linkedLauncher = Files.createSymbolicLink(work.resolve("av"), home.resolve("bin/anima-vault"));
        Path elsewhere = Files.createDirectories(work.resolve("elsewhere"));

        // 1. newest JDK under ANIMA_JVM_DIR (the /usr/lib/jvm scan)
        Path jvmDir = Files.createDirectories(work.resolve("jvm"));
        Files.createSymbolicLink(jvmDir.resolve("some-jdk"), javaHome);
        Result scanned = runLauncher(linkedLauncher, elsewhere, Map.of("ANIMA_JVM_DIR", jvmDir.toString()), "--version");
        assertEquals(0, scanned.exitCode(), scanned.output());
        assertTrue(scanned.output().startsWith("anima-vault 0.1.0"), "--version should print the product version:\n" + scanned.output());

        // 2. `java` on PATH, when neither JAVA_HOME nor the JVM directory has one
        Path emptyJvmDir = Files.createDirectories(work.resolve("no-jvms"));
        Path pathDir = Files.createDirectories(work.resolve("path-bin"));
        Files.createSymbolicLink(pathDir.resolve("java"), javaHome.resolve("bin/java"));
        Result onPath = runLauncher(linkedLauncher, elsewhere, Map.of(
                "ANIMA_JVM_DIR", emptyJvmDir.toString(),
                "PATH", pathDir + ":" + System.getenv("PATH")), "--version");
        assertEquals(0, onPath.exitCode(), onPath.output());
        assertTrue(onPath.output().startsWith("anima-vault "), onPath.output());

        // 3. nothing anywhere: a clear message naming where it looked. PATH holds only the tools the
        //    launcher itself uses, so no system java can be found.
        Path tools = Files.createDirectories(work.resolve("tools"));
        for (String tool : List.of("bash", "dirname", "readlink", "sed", "head")) {
            Files.createSymbolicLink(tools.resolve(tool), which(tool));
        }
        Result none = runLauncher(linkedLauncher, elsewhere, Map.of(
                "ANIMA_JVM_DIR", emptyJvmDir.toString(), "PATH", tools.toString()), "--version");
        assertEquals(1, none.exitCode(), none.output());
        assertTrue(none.output().contains("Java >= 21")
                        && none.output().contains("JAVA_HOME")
                        && none.output().contains(emptyJvmDir.toString())
                        && none.output().contains("PATH"),
                "the failure should say what it needs and where it looked:\n" + none.output());
    }

    // ---------------------------------------------------------------------------------------------

    private VaultProcess startServer(Path dataDir, String bootstrapToken) throws IOException {
        return startServer(dataDir, bootstrapToken, Map.of());
    }

    private VaultProcess startServer(Path dataDir, String bootstrapToken, Map<String, String> extraEnv)
            throws IOException {
        int port = VaultProcess.freePort();
        Map<String, String> env = serverEnv(dataDir, bootstrapToken, port);
        env.putAll(extraEnv);
        return track(VaultProcess.start(home, work, port, env, "server"));
    }

    private static Map<String, String> serverEnv(Path dataDir, String bootstrapToken, int port) {
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("ANIMA_VAULT_HTTP_HOST", "127.0.0.1");
        env.put("ANIMA_VAULT_HTTP_PORT", Integer.toString(port));
        env.put("ANIMA_VAULT_DATA_DIR", dataDir.toString());
        env.put("ANIMA_VAULT_BOOTSTRAP_TOKEN", bootstrapToken);
        return env;
    }

    private VaultProcess track(VaultProcess process) {
        started.add(process);
        return process;
    }

    /**
     * SIGTERM ends the JVM through its shutdown hooks; it then exits with 143 (128 + SIGTERM) unless
     * the vault exits explicitly with 0. Anything else (a crash, a hang ended by SIGKILL) is a failure.
     */
    private static void assertStoppedCleanly(VaultProcess vault) throws InterruptedException {
        int exit = vault.stop();
        assertTrue(exit == 0 || exit == 143, "SIGTERM should stop the vault cleanly, exit code " + exit
                + "; output:\n" + vault.output());
    }

    /** {@code exec} in the launcher: the process we started must be the JVM itself, so signals reach it. */
    private static void assertLaunchedJvmDirectly(VaultProcess vault) {
        String command = vault.process().info().command().orElse("");
        assertTrue(command.endsWith("/java"), "bin/anima-vault should exec java, but the process is: " + command);
    }

    /**
     * The launcher's heap cap: 88 MiB plus 20 MiB per admin-login hash slot beyond the first (the server's default
     * {@code max-concurrent-hashes} is half the cores, at least 1; an Argon2id hash holds 19 MiB of heap), from
     * {@code nproc} as the launcher counts, and G1's fixed marking threshold of 60% (its adaptive one started a
     * concurrent mark every few young collections under writes); read from the JVM's own command line.
     */
    private static void assertHeapCapFollowsCores(VaultProcess vault) throws Exception {
        Process nproc = new ProcessBuilder("nproc").redirectErrorStream(true).start();
        int cpus = Integer.parseInt(new String(nproc.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim());
        nproc.waitFor();
        int hashes = Math.max(1, cpus / 2);
        String expected = "-Xmx" + (88 + 20 * (hashes - 1)) + "m";
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(vault.process().pid()), "cmdline"));
        List<String> args = List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
        assertTrue(args.contains(expected), "launcher should pass " + expected + " on " + cpus + " CPUs: " + args);
        assertTrue(args.contains("-XX:-G1UseAdaptiveIHOP") && args.contains("-XX:InitiatingHeapOccupancyPercent=60"),
                "launcher should fix G1's marking threshold at 60%: " + args);
    }

    /**
     * On Linux the server's JIT compiler threads ({@code C1 CompilerThre*}, {@code C2 CompilerThre*}) run {@code step}
     * nice values below the process's main task (issue 19, {@code ANIMA_VAULT_COMPILER_NICE}, 0 by default); the
     * kernel's view of them.
     */
    private static void assertCompilerThreadsAt(VaultProcess vault, int step) throws Exception {
        if (!System.getProperty("os.name", "").startsWith("Linux") || Runtime.version().feature() < 22) {
            return;
        }
        Path tasks = Path.of("/proc", Long.toString(vault.process().pid()), "task");
        int processNice = niceOf(tasks.resolve(Long.toString(vault.process().pid())));
        int expected = Math.min(19, processNice + step);
        Map<String, Integer> compilers = new HashMap<>();
        // the server's short-lived compiler-nice thread has run long before the first healthy answer; the loop only
        // tolerates a slow machine (bounded by the test's timeout)
        for (int attempt = 0; attempt < 100; attempt++) {
            compilers.clear();
            try (Stream<Path> list = Files.list(tasks)) {
                for (Path task : list.toList()) {
                    try {
                        String comm = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII);
                        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                            compilers.put(comm.trim() + " " + task.getFileName(), niceOf(task));
                        }
                    } catch (IOException ended) {
                        // a thread that ended meanwhile
                    }
                }
            }
            if (!compilers.isEmpty() && compilers.values().stream().allMatch(n -> n == expected)) {
                return;
            }
            Thread.sleep(50);
        }
        fail("the JIT compiler threads should run at nice " + expected + " (the process at " + processNice + "): "
                + compilers + "; output:\n" + vault.output());
    }

    /** Field 19 (nice) of a task's {@code stat}. */
    private static int niceOf(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ")[16]);
    }

    private Result runLauncher(Path launcher, Path cwd, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("ANIMA_") || name.equals("JAVA_HOME"));
        builder.environment().putAll(env);
        Path log = Files.createTempFile(work, "launcher-", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                fail("bin/anima-vault " + String.join(" ", args) + " did not finish within 30s:\n" + Files.readString(log));
            }
            return new Result(process.exitValue(), Files.readString(log), "");
        } finally {
            process.destroyForcibly();
        }
    }

    /** Runs {@code bin/anima-vault <args>} to completion with stdout and stderr kept apart. */
    private Result runCommand(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/anima-vault").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "out-", ".txt");
        Path err = Files.createTempFile(work, "err-", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("ANIMA_VAULT_"));
        builder.environment().putAll(env);
        Process process = builder.start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                fail("bin/anima-vault " + String.join(" ", args) + " did not finish within 60s:\n" + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            process.destroyForcibly();
        }
    }

    private static Path which(String tool) {
        for (String dir : System.getenv("PATH").split(":")) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        throw new AssertionError(tool + " not found on PATH");
    }

    /** Byte search of every file under {@code dir} (database, WAL, audit log, key files, ...). */
    private static void assertNoFileContains(Path dir, Map<String, String> needles) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertFalse(files.isEmpty(), "the data directory " + dir + " is empty: is ANIMA_VAULT_DATA_DIR honoured?");
        for (Path file : files) {
            byte[] content = Files.readAllBytes(file);
            needles.forEach((what, value) -> assertFalse(indexOf(content, value.getBytes(StandardCharsets.UTF_8)) >= 0,
                    dir.relativize(file) + " contains " + what + " in clear"));
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private Response call(VaultProcess vault, String method, String path, String bearer, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(vault.baseUri() + path))
                .timeout(Duration.ofSeconds(15))
                .header("Accept", "application/json");
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(""),
                response.body());
    }

    private static String newBootstrapToken() {
        return "avk_" + randomText(32);
    }

    private static String newSecretValue(String prefix) {
        return prefix + randomText(24);
    }

    private static String randomText(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private record Response(int status, String contentType, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    /** A finished command: exit code, stdout (or both streams when merged), stderr when kept apart. */
    private record Result(int exitCode, String output, String errors) {
    }
}
