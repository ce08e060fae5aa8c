package dev.animavault.plugin.storage.vaultwarden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.cli.Progress;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.migrate.MigrateCommand;
import dev.animavault.plugin.storage.vaultwarden.VaultwardenServerIT.Res;
import dev.animavault.plugin.storage.vaultwarden.VaultwardenServerIT.Server;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anima-vault migrate} across the protection difference: SQLite (the barrier's ciphertext) ->
 * Vaultwarden (the Bitwarden-protocol test server; the backend encrypts values with Bitwarden's scheme)
 * -> SQLite again. Every version of every secret, its metadata and its expiry policy are what the first
 * vault served; the agent token issued on the first vault works on the last; a second run copies
 * nothing; no value is in the test server's items, in the last vault's files or in the command's output.
 */
class VaultwardenMigrateIT {
    private static final String OWNER = "it-owner-token-0123456789abcdefghijklmnopqrstuv";
    private static final int IDENTITIES = 3;
    private static final int SECRETS = 24;

    @TempDir
    Path tmp;

    private static String value(int i, int v) {
        return "mig-value-" + i + "-v" + v + "-7f3c";
    }

    @Test
    @Timeout(300)
    void sqliteToVaultwardenToSqliteKeepsValuesVersionsAndPolicies() throws Exception {
        Path plugins = VaultwardenServerIT.pluginsDir(tmp.resolve("plugins"));
        Path a = tmp.resolve("a");
        Path c = tmp.resolve("c");
        Map<String, String> served = new LinkedHashMap<>(); // "identity/key@v" -> the GET response's fields
        List<String> values = new ArrayList<>();
        String agentToken;
        String expiry = Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
        VaultConfig configA = VaultConfig.builder(a.resolve("data"), plugins).port(0).bootstrapToken(OWNER).build();
        try (Server s = Server.start(configA)) {
            for (int id = 0; id < IDENTITIES; id++) {
                assertEquals(201, s.post("/v1/identities", OWNER, "{\"id\":\"agent_" + id + "\"}").status());
            }
            for (int i = 0; i < SECRETS; i++) {
                String identity = "agent_" + (i % IDENTITIES);
                Map<String, Object> body = new LinkedHashMap<>(Map.of("identityId", identity, "key", "KEY_" + i,
                        "value", value(i, 1), "type", "api_key", "metadata", Map.of("n", "" + i)));
                if (i % 2 == 0) {
                    body.put("expiresAt", expiry); // a policy, kept in the secret's attributes
                }
                Res r = s.post("/v1/vault/secrets", OWNER, VaultwardenServerIT.json(body));
                assertEquals(201, r.status(), r.body());
                values.add(value(i, 1));
                if (i % 3 == 0) {
                    for (int v = 2; v <= 3; v++) {
                        Res p = s.put("/v1/vault/secrets/" + identity + "/KEY_" + i, OWNER,
                                VaultwardenServerIT.json(Map.of("value", value(i, v))));
                        assertEquals(200, p.status(), p.body());
                        values.add(value(i, v));
                    }
                }
            }
            for (int i = 0; i < SECRETS; i++) {
                String identity = "agent_" + (i % IDENTITIES);
                for (int v = 1; v <= (i % 3 == 0 ? 3 : 1); v++) {
                    served.put(identity + "/KEY_" + i + "@" + v, fields(s, identity, "KEY_" + i, v));
                }
            }
            agentToken = s.post("/v1/identities/agent_0/tokens", OWNER, "{}").json().get("token").asText();
        }
        assertEquals(values.size(), served.size());

        try (TestVault vw = new TestVault()) {
            Path b = tmp.resolve("b");
            Path cfgA = config(a, plugins, "jdbc", Map.of());
            Path cfgB = config(b, plugins, "vaultwarden", vw.config());
            Path cfgC = config(c, plugins, "jdbc", Map.of());
            copyRootKey(a.resolve("data/root.key"), b);
            copyRootKey(a.resolve("data/root.key"), c);

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
            MigrateCommand.run(cfgA, cfgB, List.of(), true, Map.of(), print, Progress.Mode.LINES);
            String toVw = out.toString(StandardCharsets.UTF_8);
            assertTrue(toVw.contains("secrets: " + SECRETS + "/" + SECRETS + " (100%)"), toVw);
            assertTrue(toVw.contains("verify (versions): " + values.size() + "/" + values.size() + " (100%)"), toVw);
            assertTrue(toVw.contains("opened with the barrier"), toVw);

            // a second run finds everything equal across the protection difference
            ByteArrayOutputStream again = new ByteArrayOutputStream();
            MigrateCommand.run(cfgA, cfgB, List.of(), true, Map.of(),
                    new PrintStream(again, true, StandardCharsets.UTF_8), Progress.Mode.NONE);
            assertTrue(again.toString(StandardCharsets.UTF_8).contains("secrets 0/" + SECRETS + " changed, versions 0/"
                    + values.size() + " copied"), again.toString(StandardCharsets.UTF_8));

            // Vaultwarden holds Bitwarden ciphertext only
            for (String id : vw.server.cipherIds(vw.organizationId)) {
                String stored = vw.server.cipher(id).toString();
                for (String v : values) {
                    assertFalse(stored.contains(v), "no plaintext value in Vaultwarden's items");
                }
            }

            MigrateCommand.run(cfgB, cfgC, List.of(), true, Map.of(), print, Progress.Mode.LINES);
            String all = out.toString(StandardCharsets.UTF_8);
            assertTrue(all.contains("sealed with the barrier"), all);
            for (String v : values) {
                assertFalse(all.contains(v), "no value in the command's output");
            }
            assertNoValueInFiles(c, values);
            assertNoValueInFiles(b, values);
        }

        VaultConfig configC = VaultConfig.builder(c.resolve("data"), plugins).port(0).bootstrapToken(OWNER).build();
        try (Server s = Server.start(configC)) {
            for (Map.Entry<String, String> e : served.entrySet()) {
                String[] p = e.getKey().split("[/@]");
                assertEquals(e.getValue(), fields(s, p[0], p[1], Integer.parseInt(p[2])), e.getKey());
            }
            Res current = s.get("/v1/vault/secrets/agent_0/KEY_0", agentToken);
            assertEquals(200, current.status(), current.body());
            assertEquals(value(0, 3), current.json().get("value").asText(), "the current version, the old token");
            Res logs = s.get("/v1/vault/audit/logs?action=storage.migrate&limit=10", OWNER);
            assertEquals(200, logs.status(), logs.body());
            JsonNode items = logs.json().get("items");
            assertEquals(1, items.size(), logs.body());
            assertEquals("vaultwarden", items.get(0).path("details").path("from").asText(), logs.body());
        }
    }

    /** What the vault serves for one version: value, version, type, metadata, expiry, current version. */
    private static String fields(Server s, String identity, String key, int version) {
        Res r = s.get("/v1/vault/secrets/" + identity + "/" + key + "?version=" + version, OWNER);
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        return String.join("|", j.path("value").asText(), j.path("version").asText(), j.path("type").asText(),
                j.path("metadata").toString(), j.path("expiresAt").asText(), j.path("currentVersion").asText());
    }

    private static void assertNoValueInFiles(Path root, List<String> values) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String v : values) {
                    assertFalse(text.contains(v), "a plaintext value in " + f);
                }
            }
        }
    }

    private static void copyRootKey(Path rootKey, Path root) throws Exception {
        Files.createDirectories(root.resolve("data"));
        Files.copy(rootKey, root.resolve("data/root.key"));
        Files.setPosixFilePermissions(root.resolve("data/root.key"), PosixFilePermissions.fromString("rw-------"));
    }

    private static Path config(Path root, Path plugins, String storage, Map<String, String> storageConfig)
            throws Exception {
        Files.createDirectories(root);
        Path file = root.resolve("anima-vault.yaml");
        // JSON is YAML: the storage settings hold spaces, '@' and non-ASCII characters
        Files.writeString(file, """
                vault:
                  data-dir: %s
                  plugins-dir: %s
                  storage:
                    type: %s
                    config: %s
                  egress:
                    allow: ["127.0.0.1"]
                  audit:
                    - type: file
                      config:
                        path: audit/audit.jsonl
                  credential-types: [api_key]
                """.formatted(root.resolve("data"), plugins, storage, VaultwardenServerIT.json(storageConfig)));
        return file;
    }
}
