package dev.animavault.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.cli.AnimaCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every client command of the CLI against the packaged server: most run in this JVM through
 * {@link AnimaCli} (same commands as {@code bin/anima-vault}, with {@code --addr} and {@code --token-file}),
 * and a few through the unpacked {@code bin/anima-vault} itself with {@code ANIMA_VAULT_ADDR},
 * {@code ANIMA_VAULT_TOKEN} and a value on stdin. Every {@code --output json} output is parsed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CliIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    private static RunningVault vault;
    private static Path tokenFile;

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + e.getMessage() + "):\n" + out + "\nstderr:\n" + err);
            }
        }

        Run ok() {
            assertEquals(0, exit, "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err);
            return this;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        vault = RunningVault.start(work);
        tokenFile = work.resolve("token");
        Files.writeString(tokenFile, vault.apiKey() + "\n");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (vault != null) {
            vault.close();
        }
    }

    /** The CLI in this JVM, authenticated with the owner API key. */
    private static Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("generate-completion")) {
            all.addAll(List.of("--addr", vault.baseUrl(), "--token-file", tokenFile.toString()));
        }
        return cliRaw(all.toArray(String[]::new));
    }

    private static Run cliRaw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = AnimaCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** The unpacked bin/anima-vault, with the environment an operator would set. */
    private static Run launcher(String stdin, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(vault.home().resolve("bin/anima-vault").toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "cli-", ".out");
        Path err = Files.createTempFile(work, "cli-", ".err");
        Path in = Files.createTempFile(work, "cli-", ".in");
        Files.writeString(in, stdin == null ? "" : stdin);
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ANIMA_VAULT_"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/anima-vault " + String.join(" ", args) + " did not finish");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static Map<String, String> operatorEnv() {
        return Map.of("ANIMA_VAULT_ADDR", vault.baseUrl(), "ANIMA_VAULT_TOKEN", vault.apiKey());
    }

    @Test
    void identitiesCreateGetListDisable() {
        JsonNode created = cli("identities", "create", "cli-id-1", "--name", "First", "--metadata", "team=a", "-o", "json")
                .ok().json();
        assertEquals("cli-id-1", created.path("id").asText());
        assertEquals("a", created.path("metadata").path("team").asText());
        Run table = cli("identities", "create", "cli-id-2").ok();
        assertTrue(table.out().contains("id:") && table.out().contains("cli-id-2"), table.out());

        assertEquals("First", cli("identities", "get", "cli-id-1", "--output", "json").ok().json().path("name").asText());
        assertTrue(cli("identities", "get", "cli-id-1").ok().out().matches("(?s).*name:\\s+First.*"));

        JsonNode page = cli("identities", "list", "--limit", "1", "-o", "json").ok().json();
        assertEquals(1, page.path("items").size());
        assertTrue(page.path("nextCursor").isTextual(), page.toString());
        Run firstPage = cli("identities", "list", "--limit", "1");
        assertTrue(firstPage.err().contains("--cursor"), "the table tells how to get the next page: " + firstPage.err());
        JsonNode all = cli("identities", "list", "--limit", "1", "--all", "-o", "json").ok().json();
        assertTrue(all.path("items").size() >= 2 && all.path("nextCursor").isNull(), all.toString());
        Run listed = cli("identities", "list", "--all").ok();
        assertTrue(listed.out().startsWith("ID ") && listed.out().contains("cli-id-1") && listed.out().contains("cli-id-2"),
                listed.out());

        assertTrue(cli("identities", "disable", "cli-id-1", "-o", "json").ok().json().path("disabled").asBoolean());
        assertEquals(3, cli("identities", "get", "nobody").exit(), "not found exits 3");
        Run dup = cli("identities", "create", "cli-id-2");
        assertEquals(5, dup.exit(), "conflict exits 5");
        assertTrue(dup.err().contains("already_exists"), dup.err());
        Run badName = cli("identities", "create", "bad id");
        assertEquals(6, badName.exit(), "a refused name exits 6: " + badName.err());
        assertTrue(badName.err().contains("invalid_name"), badName.err());
    }

    @Test
    void tokensIssueAndRevoke() throws Exception {
        cli("identities", "create", "cli-tok").ok();
        cli("secrets", "put", "cli-tok", "A", "--file", write("a", "value-a-123")).ok();
        JsonNode issued = cli("tokens", "issue", "cli-tok", "--name", "ci", "--key", "A", "--ttl", "1h", "-o", "json")
                .ok().json();
        String token = issued.path("token").asText();
        assertTrue(token.startsWith("avt_"), issued.toString());
        assertEquals("A", issued.path("keys").get(0).asText());
        assertFalse(issued.path("expiresAt").isNull());
        Run table = cli("tokens", "issue", "cli-tok").ok();
        assertTrue(table.out().contains("token:") && table.err().contains("shown this once"), table.out() + table.err());

        Map<String, String> agentEnv = Map.of("ANIMA_VAULT_ADDR", vault.baseUrl(), "ANIMA_VAULT_TOKEN", token);
        Run read = launcher(null, agentEnv, "secrets", "get", "cli-tok", "A", "--reveal");
        assertEquals("value-a-123\n", read.ok().out());

        JsonNode revoked = cli("tokens", "revoke", "cli-tok", issued.path("id").asText(), "-o", "json").ok().json();
        assertTrue(revoked.path("revoked").asBoolean());
        Run refused = launcher(null, agentEnv, "secrets", "get", "cli-tok", "A");
        assertEquals(4, refused.exit(), "a revoked token exits 4: " + refused.err());
        assertTrue(refused.err().contains("unauthenticated"), refused.err());
    }

    @Test
    void tokensList() throws Exception {
        cli("identities", "create", "cli-tl").ok();
        JsonNode issued = cli("tokens", "issue", "cli-tl", "--name", "ci", "--key", "A", "--ttl", "1h", "-o", "json")
                .ok().json();
        cli("tokens", "issue", "cli-tl").ok();
        JsonNode listed = cli("tokens", "list", "cli-tl", "-o", "json").ok().json().path("items");
        assertEquals(2, listed.size(), listed.toString());
        assertEquals(issued.path("id").asText(), listed.get(0).path("id").asText());
        assertEquals("ci", listed.get(0).path("name").asText());
        assertEquals("[\"A\"]", listed.get(0).path("keys").toString());
        assertEquals(issued.path("expiresAt").asText(), listed.get(0).path("expiresAt").asText());
        assertFalse(listed.toString().contains(issued.path("token").asText()), "never the token");
        Run table = cli("tokens", "list", "cli-tl").ok();
        assertTrue(table.out().startsWith("ID") && table.out().contains(issued.path("id").asText())
                && table.out().contains(" ci "), table.out());
        cli("tokens", "revoke", "cli-tl", issued.path("id").asText()).ok();
        assertEquals(1, cli("tokens", "list", "cli-tl", "-o", "json").ok().json().path("items").size());
        assertEquals(3, cli("tokens", "list", "nobody").exit(), "unknown identity exits 3");
    }

    @Test
    void secretsPutWithARotationPolicyAndExpiry() throws Exception {
        cli("identities", "create", "cli-rot").ok();
        JsonNode created = cli("secrets", "put", "cli-rot", "DATABASE_PASSWORD", "--type", "password",
                "--file", write("rot", "temporary-pwd"), "--rotate-every", "30d",
                "--webhook", "https://agent-api.com/rotate-db-secret", "-o", "json").ok().json();
        assertEquals(1, created.path("version").asInt());
        assertEquals("PT720H", created.path("rotation").path("interval").asText(), created.toString());
        assertEquals("https://agent-api.com/rotate-db-secret", created.path("rotation").path("webhookUrl").asText());
        assertEquals("ok", created.path("rotation").path("status").asText());
        JsonNode listed = cli("secrets", "list", "cli-rot", "-o", "json").ok().json().path("items").get(0);
        assertEquals("PT720H", listed.path("rotation").path("interval").asText(), listed.toString());

        JsonNode expiring = cli("secrets", "put", "cli-rot", "TEMP", "--file", write("tmp", "value-tmp-1"),
                "--expires-at", "2099-01-31T00:00:00Z", "-o", "json").ok().json();
        assertEquals("2099-01-31T00:00:00Z", expiring.path("rotation").path("expiresAt").asText(), expiring.toString());
        assertEquals(2, cli("secrets", "put", "cli-rot", "X", "--file", write("x", "v-123456"), "--rotate-every", "30d")
                .exit(), "--rotate-every without --webhook is a usage error");
        Run http = cli("secrets", "put", "cli-rot", "Y", "--type", "password", "--file", write("y", "v-123456"),
                "--rotate-every", "30d", "--webhook", "http://agent-api.com/rotate");
        assertEquals(6, http.exit(), "an http webhook is refused: " + http.err());

        JsonNode generated = cli("secrets", "put", "cli-rot", "GENERATED", "--generate", "--length", "40", "-o", "json")
                .ok().json();
        assertEquals("password", generated.path("type").asText(), generated.toString());
        assertEquals(40, cli("secrets", "get", "cli-rot", "GENERATED", "--reveal").ok().out().strip().length(),
                "the generated value has the length asked for");
        assertEquals(5, cli("secrets", "put", "cli-rot", "GENERATED", "--generate").exit(),
                "a generated value never replaces an existing one");
        assertEquals(2, cli("secrets", "put", "cli-rot", "Z", "--length", "8", "--file", write("z", "v-123456")).exit());
    }

    @Test
    void reportToStdoutAndToFiles() throws Exception {
        cli("identities", "create", "cli-rep").ok();
        cli("secrets", "put", "cli-rep", "K", "--file", write("rep", "value-rep-1")).ok();
        cli("secrets", "get", "cli-rep", "K").ok();

        JsonNode json = cli("report", "--identity", "cli-rep").ok().json();
        assertEquals("cli-rep", json.path("report").path("identityId").asText(), json.toString());
        assertTrue(json.path("tables").isObject(), json.toString());

        Path csv = work.resolve("reports/cli-rep.csv");
        JsonNode wrote = cli("report", "--identity", "cli-rep", "--format", "csv", "--file", csv.toString(), "-o", "json")
                .ok().json();
        assertEquals("csv", wrote.path("format").asText());
        String csvText = Files.readString(csv, StandardCharsets.UTF_8);
        assertEquals(csvText.getBytes(StandardCharsets.UTF_8).length, wrote.path("bytes").asInt());
        assertTrue(csvText.lines().anyMatch(l -> l.startsWith("report,")), csvText);

        Path html = work.resolve("cli-rep.html");
        Run human = cli("report", "--format", "html", "--file", html.toString()).ok();
        assertTrue(human.out().startsWith("wrote html report ("), human.out());
        assertTrue(Files.readString(html, StandardCharsets.UTF_8).startsWith("<!DOCTYPE html>"));

        assertEquals(2, cli("report", "--format", "pdf").exit(), "a bad format is a usage error");
        assertEquals(2, cli("report", "--from", "yesterday").exit());
        Run unauth = launcher(null, Map.of("ANIMA_VAULT_ADDR", vault.baseUrl(), "ANIMA_VAULT_TOKEN", "avk_nope"), "report");
        assertEquals(4, unauth.exit(), unauth.err());
    }

    @Test
    void keyringRotateWaitsWithAProgressBarAndStatusShowsTheNewKey() {
        JsonNode before = cli("keyring", "status", "-o", "json").ok().json();
        int active = before.path("activeKey").asInt();
        assertTrue(active >= 1, before.toString());
        Run rotate = cli("keyring", "rotate", "--wait").ok();
        assertTrue(rotate.out().contains("activeKey") && rotate.out().contains(Integer.toString(active + 1)),
                rotate.out());
        assertTrue(rotate.out().contains("[##############################] 100%"), "the bar ends full: " + rotate.out());
        JsonNode after = cli("keyring", "status", "-o", "json").ok().json();
        assertEquals(active + 1, after.path("activeKey").asInt(), after.toString());
        assertEquals("done", after.at("/reencryption/state").asText(), after.toString());
        assertEquals(1, after.path("keys").size(), "the old key is gone: " + after);
        Run table = cli("keyring", "status").ok();
        assertTrue(table.out().contains("ENCRYPTIONS") && table.out().contains("TOKEN KEY"), table.out());
        assertEquals(2, cliRaw("keyring", "rotate", "--retire-old-after", "1d").exit(), "--retire-old-after needs --token");
    }

    @Test
    void pluginsList() {
        JsonNode plugins = cli("plugins", "list", "-o", "json").ok().json().path("items");
        List<String> types = new ArrayList<>();
        List<String> backends = new ArrayList<>();
        plugins.forEach(p -> {
            p.path("credentialTypes").forEach(t -> types.add(t.asText()));
            p.path("storageBackends").forEach(b -> backends.add(b.asText()));
        });
        assertTrue(types.containsAll(List.of("api_key", "password")), plugins.toString());
        assertTrue(backends.contains("jdbc"), plugins.toString());
        // the default configuration (SQLite, audit file) loads storage-jdbc and skips the Vaultwarden backend
        plugins.forEach(p -> {
            if (p.path("storageBackends").toString().contains("\"jdbc\"")) {
                assertTrue(p.path("loaded").asBoolean(false), p.toString());
            }
            if (p.path("storageBackends").toString().contains("\"vaultwarden\"")) {
                assertFalse(p.path("loaded").asBoolean(true), p.toString());
            }
        });
        Run table = cli("plugins", "list").ok();
        assertTrue(table.out().startsWith("PLUGIN") && table.out().contains("LOADED")
                && table.out().contains("credential-password"), table.out());
    }

    @Test
    void secretsPutGetListVersionsDelete() throws Exception {
        cli("identities", "create", "cli-sec").ok();
        Run created = cli("secrets", "put", "cli-sec", "OPENAI_API_KEY", "--file", write("v1", "sk-first-000\n"),
                "--metadata", "env=dev");
        assertEquals("created cli-sec/OPENAI_API_KEY version 1\n", created.ok().out());
        JsonNode updated = cli("secrets", "put", "cli-sec", "OPENAI_API_KEY", "--file", write("v2", "sk-second-000"),
                "-o", "json").ok().json();
        assertEquals(2, updated.path("version").asInt());
        assertFalse(updated.toString().contains("sk-second-000"), "put never echoes the value");

        Run masked = cli("secrets", "get", "cli-sec", "OPENAI_API_KEY").ok();
        assertFalse(masked.out().contains("sk-second-000"), masked.out());
        assertTrue(masked.out().contains("********"), masked.out());
        JsonNode maskedJson = cli("secrets", "get", "cli-sec", "OPENAI_API_KEY", "-o", "json").ok().json();
        assertEquals("********", maskedJson.path("value").asText());
        assertEquals("sk-second-000\n", cli("secrets", "get", "cli-sec", "OPENAI_API_KEY", "--reveal").ok().out());
        JsonNode v1 = cli("secrets", "get", "cli-sec", "OPENAI_API_KEY", "--version", "1", "--reveal", "-o", "json")
                .ok().json();
        assertEquals("sk-first-000", v1.path("value").asText(), "one trailing newline of the file is dropped");
        assertEquals(2, v1.path("currentVersion").asInt());

        JsonNode versions = cli("secrets", "versions", "cli-sec", "OPENAI_API_KEY", "-o", "json").ok().json();
        assertEquals(2, versions.path("currentVersion").asInt());
        assertEquals("[2,1]", versions.path("versions").toString());
        Run versionTable = cli("secrets", "versions", "cli-sec", "OPENAI_API_KEY").ok();
        assertTrue(versionTable.out().contains("current"), versionTable.out());
        assertEquals(3, cli("secrets", "versions", "cli-sec", "NOPE").exit());

        cli("secrets", "put", "cli-sec", "OTHER", "--file", write("o", "x-value-000")).ok();
        JsonNode list = cli("secrets", "list", "cli-sec", "-o", "json").ok().json();
        assertEquals(2, list.path("items").size());
        assertFalse(list.toString().contains("x-value-000"));
        Run listTable = cli("secrets", "list", "cli-sec").ok();
        assertTrue(listTable.out().startsWith("KEY ") && listTable.out().contains("OTHER"), listTable.out());

        JsonNode deleted = cli("secrets", "delete", "cli-sec", "OTHER", "-o", "json").ok().json();
        assertTrue(deleted.path("deleted").asBoolean() && deleted.path("key").asText().equals("OTHER"), deleted.toString());
        assertEquals(3, cli("secrets", "get", "cli-sec", "OTHER").exit());

        Run missingFile = cli("secrets", "put", "cli-sec", "X", "--file", work.resolve("no-such-file").toString());
        assertEquals(1, missingFile.exit(), missingFile.err());
        assertTrue(missingFile.err().startsWith("error: NoSuchFileException") && !missingFile.err().contains("\tat "),
                "one line, no stack trace: " + missingFile.err());
        Run rejected = cli("secrets", "put", "cli-sec", "BAD", "--type", "no_such_type", "--file", write("b", "v"));
        assertEquals(6, rejected.exit(), rejected.err());
        assertTrue(rejected.err().contains("unknown_type"), rejected.err());
    }

    @Test
    void secretsPutReadsStdinThroughTheLauncherAndNeverEchoesIt() throws Exception {
        cli("identities", "create", "cli-stdin").ok();
        Run put = launcher("sk-from-stdin-123\n", operatorEnv(), "secrets", "put", "cli-stdin", "KEY", "-o", "json");
        JsonNode stored = put.ok().json();
        assertEquals(1, stored.path("version").asInt());
        assertFalse(put.out().contains("sk-from-stdin") || put.err().contains("sk-from-stdin"));
        assertEquals("sk-from-stdin-123\n", cli("secrets", "get", "cli-stdin", "KEY", "--reveal").ok().out());
        Run empty = launcher("", operatorEnv(), "secrets", "put", "cli-stdin", "KEY");
        assertEquals(2, empty.exit(), "an empty value is a usage error: " + empty.err());
    }

    @Test
    void auditLogs() throws Exception {
        cli("identities", "create", "cli-aud").ok();
        cli("secrets", "put", "cli-aud", "K", "--file", write("k", "value-123")).ok();
        cli("secrets", "get", "cli-aud", "K", "--reveal").ok();
        JsonNode reads = cli("audit", "logs", "--identity", "cli-aud", "--action", "secret.read", "-o", "json").ok().json();
        assertEquals(1, reads.path("items").size(), reads.toString());
        assertEquals("K", reads.path("items").get(0).path("secretKey").asText());
        assertEquals("SUCCESS", reads.path("items").get(0).path("outcome").asText());
        Run table = cli("audit", "logs", "--identity", "cli-aud").ok();
        assertTrue(table.out().startsWith("TIMESTAMP") && table.out().contains("secret.create"), table.out());
        JsonNode since = cli("audit", "logs", "--identity", "cli-aud", "--from", "2020-01-01T00:00:00Z", "--limit", "1",
                "--all", "-o", "json").ok().json();
        assertTrue(since.path("items").size() >= 3, since.toString());
        assertEquals(2, cli("audit", "logs", "--from", "yesterday").exit(), "a bad instant is a usage error");
    }

    @Test
    void auditTailShowsTheNewestThenFollowsNewEventsWithoutItsOwnQueries() throws Exception {
        cli("identities", "create", "cli-tail").ok();
        cli("secrets", "put", "cli-tail", "K", "--file", write("t", "value-123")).ok();
        java.util.concurrent.CompletableFuture<Run> tail = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                cli("audit", "tail", "--identity", "cli-tail", "--lines", "1", "--interval", "200ms", "--count", "2",
                        "-o", "json"));
        // wait until tail has made its first query (its audit.query event) before reading; this query is
        // about no identity, so tail (following cli-tail) does not see it
        dev.animavault.client.Anima am = dev.animavault.client.Anima.builder().apiKey(vault.apiKey())
                .baseUrl(vault.baseUrl()).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (am.vault().audit().getLogs(dev.animavault.client.LogQuery.all().action("audit.query").limit(1000))
                .stream().noneMatch(e -> e.requestId() != null && e.requestId().startsWith("cli-tail-"))) {
            assertTrue(System.nanoTime() < deadline, "audit tail made no query within 30 s");
            Thread.sleep(100);
        }
        cli("secrets", "get", "cli-tail", "K", "--reveal").ok();
        cli("secrets", "get", "cli-tail", "K").ok();
        Run run = tail.get(60, TimeUnit.SECONDS).ok();
        List<JsonNode> events = new ArrayList<>();
        for (String line : run.out().strip().split("\n")) {
            events.add(JSON.readTree(line));
        }
        assertEquals(List.of("secret.create", "secret.read", "secret.read"),
                events.stream().map(e -> e.path("action").asText()).toList(), run.out());
        assertTrue(events.stream().noneMatch(e -> e.path("requestId").asText().startsWith("cli-tail-")), run.out());
    }

    @Test
    void statusThroughTheLauncher() throws Exception {
        JsonNode ok = launcher(null, operatorEnv(), "status", "-o", "json").ok().json();
        assertEquals("ok", ok.path("status").asText());
        assertEquals("accepted", ok.path("token").asText());
        assertEquals(vault.baseUrl(), ok.path("address").asText());
        Run noToken = launcher(null, Map.of("ANIMA_VAULT_ADDR", vault.baseUrl()), "status");
        assertTrue(noToken.ok().out().contains("not set"), noToken.out());
        Run wrong = launcher(null, Map.of("ANIMA_VAULT_ADDR", vault.baseUrl(), "ANIMA_VAULT_TOKEN", "avk_" + "1".repeat(40)),
                "status");
        assertEquals(4, wrong.exit(), wrong.out());
        Run down = cliRaw("status", "--addr", "http://127.0.0.1:" + VaultProcess.freePort(), "-o", "json");
        assertEquals(7, down.exit(), down.out() + down.err());
        assertEquals("unreachable", down.json().path("status").asText());
        Run noTokenAtAll = cliRaw("identities", "list", "--addr", vault.baseUrl());
        if (System.getenv("ANIMA_VAULT_TOKEN") == null) {
            assertEquals(2, noTokenAtAll.exit(), noTokenAtAll.err());
            assertTrue(noTokenAtAll.err().contains("ANIMA_VAULT_TOKEN"), noTokenAtAll.err());
        }
    }

    @Test
    void completionAndHelp() throws Exception {
        Run completion = cliRaw("generate-completion").ok();
        assertTrue(completion.out().contains("complete") && completion.out().contains("secrets")
                && completion.out().contains("--reveal"), completion.out().substring(0, Math.min(300, completion.out().length())));
        Run help = launcher(null, Map.of(), "--help").ok();
        for (String command : List.of("server", "init", "identities", "tokens", "secrets", "audit", "report", "plugins",
                "status", "keyring", "generate-completion", "Exit codes")) {
            assertTrue(help.out().contains(command), "bin/anima-vault --help lists " + command + ":\n" + help.out());
        }
        for (String command : List.of("identities create", "identities get", "identities list", "identities disable",
                "tokens issue", "tokens list", "tokens revoke", "report", "plugins list", "secrets put", "secrets get", "secrets list", "secrets delete",
                "secrets versions", "audit logs", "audit tail", "status", "keyring status", "keyring rotate")) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            args.add("--help");
            Run help2 = cliRaw(args.toArray(String[]::new));
            assertEquals(0, help2.exit(), command + " --help: " + help2.err());
            assertTrue(help2.out().startsWith("Usage: anima-vault " + command), help2.out());
        }
        Run getHelp = cliRaw("secrets", "get", "--help").ok();
        assertTrue(getHelp.out().contains("--version=N") && getHelp.out().contains("--reveal"), getHelp.out());
        assertEquals(2, cliRaw("secrets").exit(), "a group without a subcommand is a usage error");
        assertEquals(2, cliRaw("secrets", "get", "--bogus").exit());
    }

    private static String write(String name, String content) throws IOException {
        Path p = work.resolve("value-" + name + "-" + System.nanoTime());
        Files.writeString(p, content);
        return p.toString();
    }
}
