package dev.animavault.core.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anima-vault migrate} SQLite -> file -> SQLite through the real plugins: a vault with
 * {@value #SECRETS} secrets (some with several versions, labels and a disabled identity) is copied, the
 * first copy (a child JVM) killed with SIGKILL halfway and rerun, and the last vault serves every value
 * to the token issued on the first, with the migration in its audit trail.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class MigrateCommandTest {

    static final int IDENTITIES = 10;
    /** 1000 by default; {@code -Danima.migrate.secrets=10000} for the issue's full size. */
    static final int SECRETS = Integer.getInteger("anima.migrate.secrets", 1000);
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    static String value(int i, int v) {
        return "value-" + i + "-v" + v + "-abcdef";
    }

    @Test
    void sqliteToFileToSqliteKeepsEveryValueVersionAndPolicyAndResumes() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Path c = tmp.resolve("c");
        Map<String, String> expected = new HashMap<>();
        String agentToken;
        try (TestVault va = TestVault.start(a)) {
            for (int id = 0; id < IDENTITIES; id++) {
                assertEquals(201, va.post("/v1/identities", OWNER, "{\"id\":\"agent_" + id + "\"}").status());
            }
            for (int i = 0; i < SECRETS; i++) {
                String identity = "agent_" + (i % IDENTITIES);
                String key = "KEY_" + i;
                Response r = va.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", identity,
                        "key", key, "value", value(i, 1), "type", "api_key", "metadata", Map.of("n", "" + i))));
                assertEquals(201, r.status(), r.body());
                expected.put(identity + "/" + key + "@1", value(i, 1));
                if (i % 5 == 0) {
                    for (int v = 2; v <= 3; v++) {
                        Response p = va.put("/v1/vault/secrets/" + identity + "/" + key, OWNER,
                                TestVault.json(Map.of("value", value(i, v))));
                        assertTrue(p.status() / 100 == 2, p.body());
                        expected.put(identity + "/" + key + "@" + v, value(i, v));
                    }
                }
            }
            Response t = va.post("/v1/identities/agent_0/tokens", OWNER, "{}");
            agentToken = t.json().get("token").asText();
        }
        Path rootKey = a.resolve("data/root.key");
        Path plugins = a.resolve("plugins");
        Path cfgA = config(a, plugins, "jdbc");
        Path cfgB = config(b, plugins, "file");
        Path cfgC = config(c, plugins, "jdbc");
        copyRootKey(rootKey, b);
        copyRootKey(rootKey, c);

        // A -> B by 'anima-vault migrate' in a JVM of its own, killed with SIGKILL at its progress line of
        // 50 % (500 secrets), then run again
        killAtHalfway(cfgA, cfgB);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Migration.Stats resumed = MigrateCommand.run(cfgA, cfgB, List.of(), true, Map.of(),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(SECRETS, resumed.secrets);
        System.out.printf("migration of %d secrets: resumed run %s%n", SECRETS, resumed);
        assertTrue(resumed.secretsCopied > 0 && resumed.secretsCopied <= SECRETS - 499,
                "the rerun skipped what the first run copied: " + resumed);
        assertEquals(expected.size(), resumed.verified, "every version verified: " + log);
        // plain progress lines (not a terminal): every 10 %, the last at 100 % with the right counts
        List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> secretLines = lines.stream().filter(l -> l.startsWith("secrets: ")).toList();
        assertEquals("secrets: " + SECRETS + "/" + SECRETS + " (100%)", secretLines.get(secretLines.size() - 1),
                lines.toString());
        assertEquals(10, secretLines.size(), lines.toString());
        List<String> verifyLines = lines.stream().filter(l -> l.startsWith("verify (versions): ")).toList();
        assertEquals("verify (versions): " + expected.size() + "/" + expected.size() + " (100%)",
                verifyLines.get(verifyLines.size() - 1), lines.toString());
        // a third run copies nothing
        Migration.Stats again = MigrateCommand.run(cfgA, cfgB, List.of(), true, Map.of(),
                new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(0, again.secretsCopied + again.versionsCopied + again.identitiesCopied + again.recordsCopied,
                again.toString());

        // B -> C
        long t0 = System.nanoTime();
        Migration.Stats toC = MigrateCommand.run(cfgB, cfgC, List.of(), true, Map.of(),
                new PrintStream(OutputStream.nullOutputStream()));
        System.out.printf("migration file -> SQLite of %d secrets / %d versions with verify: %d ms%n", SECRETS,
                toC.versions, (System.nanoTime() - t0) / 1_000_000);
        assertEquals(expected.size(), toC.versionsCopied, "no duplicates, no gaps: " + toC);

        try (TestVault vb = TestVault.start(b, x -> x.storage(new ProviderSpec("file", Map.of())))) {
            checkServes(vb, expected, agentToken);
        }
        try (TestVault vc = TestVault.start(c)) {
            checkServes(vc, expected, agentToken);
            Response logs = vc.get("/v1/vault/audit/logs?action=storage.migrate&limit=10", OWNER);
            assertEquals(200, logs.status(), logs.body());
            JsonNode items = logs.json().get("items");
            assertEquals(1, items.size(), logs.body());
            assertEquals("file", items.get(0).path("details").path("from").asText(), logs.body());
        }
    }

    /** Runs {@code anima-vault migrate} in a child JVM and SIGKILLs it once it reports half the secrets. */
    private static void killAtHalfway(Path from, Path to) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        Process child = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "dev.animavault.core.cli.Main", "migrate", "--from",
                from.toString(), "--to", to.toString(), "--progress", "lines").redirectErrorStream(true).start();
        String halfway = "secrets: " + SECRETS / 2 + "/" + SECRETS;
        List<String> seen = new java.util.ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                seen.add(line);
                if (line.startsWith(halfway)) {
                    child.destroyForcibly(); // SIGKILL
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        }
        assertTrue(seen.stream().anyMatch(l -> l.startsWith(halfway)), "the child reached half way: " + seen);
        assertTrue(child.exitValue() != 0, "killed, not finished");
    }

    /** Every version of every secret, the labels, the current version, and the agent's token. */
    static void checkServes(TestVault v, Map<String, String> expected, String agentToken) {
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String[] parts = e.getKey().split("[/@]");
            Response r = v.get("/v1/vault/secrets/" + parts[0] + "/" + parts[1] + "?version=" + parts[2], OWNER);
            assertEquals(200, r.status(), r.body());
            assertEquals(e.getValue(), r.json().get("value").asText());
        }
        Response current = v.get("/v1/vault/secrets/agent_0/KEY_0", agentToken);
        assertEquals(200, current.status(), current.body());
        assertEquals(value(0, 3), current.json().get("value").asText(), "the current version");
        Response list = v.get("/v1/vault/secrets/agent_3?limit=1000", OWNER);
        assertEquals(200, list.status(), list.body());
        assertEquals(SECRETS / IDENTITIES, list.json().get("items").size(), list.body());
    }

    static void copyRootKey(Path rootKey, Path root) throws Exception {
        Files.createDirectories(root.resolve("data"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.copy(rootKey, root.resolve("data/root.key"));
        Files.setPosixFilePermissions(root.resolve("data/root.key"), PosixFilePermissions.fromString("rw-------"));
    }

    static Path config(Path root, Path plugins, String storage) throws Exception {
        return config(root, plugins, storage, "{}");
    }

    static Path config(Path root, Path plugins, String storage, String storageConfig) throws Exception {
        Files.createDirectories(root);
        Path file = root.resolve("anima-vault.yaml");
        Files.writeString(file, """
                vault:
                  data-dir: %s
                  plugins-dir: %s
                  storage:
                    type: %s
                    config: %s
                  audit:
                    - type: file
                      config:
                        path: audit/audit.jsonl
                  credential-types: [api_key]
                """.formatted(root.resolve("data"), plugins, storage, storageConfig));
        return file;
    }
}
