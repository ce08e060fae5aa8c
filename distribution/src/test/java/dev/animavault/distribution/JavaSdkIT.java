package dev.animavault.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.client.Anima;
import dev.animavault.client.AnimaException;
import dev.animavault.client.AuditEvent;
import dev.animavault.client.Identity;
import dev.animavault.client.IssuedToken;
import dev.animavault.client.LogQuery;
import dev.animavault.client.NewIdentity;
import dev.animavault.client.NewSecret;
import dev.animavault.client.Page;
import dev.animavault.client.RotationPolicy;
import dev.animavault.client.RotationState;
import dev.animavault.client.Secret;
import dev.animavault.client.SecretMetadata;
import dev.animavault.client.SecretUpdate;
import dev.animavault.client.TokenInfo;
import dev.animavault.client.TokenRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The Java SDK ({@code sdk/java}, anima-vault-client) against the packaged server. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JavaSdkIT {
    @TempDir
    static Path work;
    private static RunningVault vault;
    private static Anima am;

    @BeforeAll
    static void start() throws Exception {
        vault = RunningVault.start(work);
        am = Anima.builder().apiKey(vault.apiKey()).baseUrl(vault.baseUrl()).timeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (vault != null) {
            vault.close();
        }
    }

    @Test
    void theProductExampleRunsAsWrittenAndPrintsTheAuditTrail() throws Exception {
        ensureAgent123();
        Path out = work.resolve("quickstart.out");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), JavaQuickstart.class.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("AM_API_KEY", vault.apiKey());
        pb.environment().put("ANIMA_VAULT_ADDR", vault.baseUrl());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the example did not finish");
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), printed);
        List<String> lines = printed.lines().toList();
        String iso = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z";
        assertTrue(lines.get(0).matches(iso + ": secret\\.read on OPENAI_API_KEY"), printed);
        assertTrue(lines.get(1).matches(iso + ": secret\\.create on OPENAI_API_KEY"), printed);
        assertTrue(lines.stream().anyMatch(l -> l.matches(iso + ": identity\\.read on null")), printed);
        assertFalse(printed.contains("sk-proj-"), "the example prints no secret value");
        assertEquals("sk-proj-...", am.vault().secrets().get("agent_123", "OPENAI_API_KEY").value().reveal());
    }

    /** The product's examples address agent_123; whichever test runs first creates it. */
    private static void ensureAgent123() {
        try {
            am.identities().create(NewIdentity.of("agent_123", "Support agent"));
        } catch (AnimaException.Conflict e) {
            // created by the other example's test
        }
    }

    @Test
    void theProductsRotatingSecretRunsAsWrittenAndTheMetadataShowsThePolicy() throws Exception {
        ensureAgent123();
        Path out = work.resolve("rotating.out");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), JavaRotatingSecret.class.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("AM_API_KEY", vault.apiKey());
        pb.environment().put("ANIMA_VAULT_ADDR", vault.baseUrl());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the example did not finish");
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), printed);
        assertTrue(printed.strip().matches("DATABASE_PASSWORD v1: every PT720H via https://agent-api\\.com/rotate-db-secret "
                + "\\(ok\\), next at \\d{4}-\\d\\d-\\d\\dT.*Z"), printed);
        assertFalse(printed.contains("temporary-pwd"));

        SecretMetadata listed = am.vault().secrets().list("agent_123").stream()
                .filter(s -> s.key().equals("DATABASE_PASSWORD")).findFirst().orElseThrow();
        assertEquals("password", listed.type());
        RotationState rotation = listed.rotation().orElseThrow();
        assertEquals("PT720H", rotation.interval(), "30d, as the vault shows durations (ISO-8601)");
        assertEquals("https://agent-api.com/rotate-db-secret", rotation.webhookUrl());
        assertEquals("ok", rotation.status());
        assertTrue(rotation.nextRotationAt().isAfter(Instant.now().plus(Duration.ofDays(20))), rotation.toString());
        assertEquals(null, rotation.lastRotatedAt(), "30 days away: nothing rotated");
        assertEquals("temporary-pwd", am.vault().secrets().get("agent_123", "DATABASE_PASSWORD").value().reveal());
    }

    @Test
    void generateExpiresAtRotationOnPutTokensListPluginsAndReport() {
        am.identities().create("java-gen");
        Instant expiresAt = Instant.now().plus(Duration.ofDays(7)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        SecretMetadata created = am.vault().secrets().create(
                NewSecret.generated("java-gen", "DB_PASSWORD", "password", Map.of("length", 40)).withExpiresAt(expiresAt));
        assertEquals(expiresAt, created.rotation().orElseThrow().expiresAt());
        assertEquals(40, am.vault().secrets().get("java-gen", "DB_PASSWORD").value().reveal().length());
        SecretMetadata put = am.vault().secrets().put("java-gen", "DB_PASSWORD", SecretUpdate.of("another-pwd-1")
                .withRotation(RotationPolicy.of("30d", "https://agent-api.com/rotate").withGracePeriod("1h")));
        assertEquals(2, put.version());
        assertEquals("PT1H", put.rotation().orElseThrow().gracePeriod());
        AnimaException.InvalidRequest http = assertThrows(AnimaException.InvalidRequest.class, () -> am.vault().secrets()
                .create(NewSecret.of("java-gen", "K2", "pwd-123456", "password")
                        .withRotation(RotationPolicy.of("30d", "http://agent-api.com/rotate"))));
        assertTrue(http.status() == 400 || http.status() == 422, http.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NewSecret("java-gen", "K", null, null, Map.of()));

        IssuedToken issued = am.identities().tokens().issue("java-gen", TokenRequest.unlimited().withName("ci"));
        List<TokenInfo> tokens = am.identities().tokens().list("java-gen");
        assertEquals(1, tokens.size());
        assertEquals(issued.id(), tokens.get(0).id());
        assertEquals("ci", tokens.get(0).name());
        assertEquals(null, tokens.get(0).expiresAt());
        assertFalse(tokens.toString().contains(issued.token().reveal()));

        assertTrue(am.sys().plugins().stream().anyMatch(p -> p.credentialTypes().contains("password") && p.loaded()));
        String csv = new String(am.vault().audit().report("csv", "java-gen", null, null), StandardCharsets.UTF_8);
        assertTrue(csv.lines().anyMatch(l -> l.startsWith("report,")), csv);
    }

    @Test
    void theReadmesJavaQuickStartIsTheExampleThisTestRuns() throws IOException {
        Path root = Path.of(System.getProperty("anima.repo.root"));
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        int section = readme.indexOf("\n## SDK quick start: Java\n");
        assertTrue(section >= 0, "README.md has no '## SDK quick start: Java' section");
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));
        String example = Files.readString(root.resolve(
                "distribution/src/test/java/dev/animavault/distribution/JavaQuickstart.java"), StandardCharsets.UTF_8);
        assertTrue(example.replaceAll("\\s+", " ").contains(block.replaceAll("\\s+", " ").trim()),
                "README's Java quick start differs from JavaQuickstart.main:\n" + block);
    }

    @Test
    void identitiesCreateGetListDisable() {
        Identity created = am.identities().create(NewIdentity.of("java-id-1", "first").withMetadata(Map.of("team", "a")));
        assertEquals("java-id-1", created.id());
        assertEquals(Map.of("team", "a"), created.metadata());
        assertFalse(created.disabled());
        am.identities().create("java-id-2");
        assertEquals("java-id-2", am.identities().get("java-id-2").name());

        Page<Identity> first = am.identities().list(1, null);
        assertEquals(1, first.size());
        Page<Identity> second = am.identities().list(1, first.nextCursor().orElseThrow());
        assertNotEquals(first.get(0).id(), second.get(0).id());

        assertTrue(am.identities().disable("java-id-1").disabled());
        assertTrue(am.identities().disable("java-id-1").disabled(), "disable is idempotent");
    }

    @Test
    void errorsAreTypedWithTheProblemCodeAndStatus() {
        AnimaException.NotFound nf = assertThrows(AnimaException.NotFound.class, () -> am.identities().get("nobody"));
        assertEquals(404, nf.status());
        assertEquals("identity_not_found", nf.code());
        assertTrue(nf.requestId().orElseThrow().matches("[0-9a-f]{16}"), nf.requestId().toString());
        am.identities().create("java-dup");
        AnimaException.Conflict c = assertThrows(AnimaException.Conflict.class, () -> am.identities().create("java-dup"));
        assertEquals("already_exists", c.code());
        assertEquals("invalid_name", assertThrows(AnimaException.InvalidRequest.class,
                () -> am.identities().create("-bad id")).code());
        Anima stranger = Anima.builder().apiKey("avk_" + "0".repeat(40)).baseUrl(vault.baseUrl()).build();
        assertEquals(401, assertThrows(AnimaException.Unauthenticated.class, () -> stranger.identities().list()).status());
        assertEquals("unknown_type", assertThrows(AnimaException.InvalidRequest.class,
                () -> am.vault().secrets().create(NewSecret.of("java-dup", "K", "v", "no_such_type"))).code());
    }

    @Test
    void tokensIssueUseRevoke() {
        am.identities().create("java-tok");
        am.vault().secrets().create(NewSecret.of("java-tok", "A", "value-a-123", "api_key"));
        am.vault().secrets().create(NewSecret.of("java-tok", "B", "value-b-123", "api_key"));
        IssuedToken issued = am.identities().tokens().issue("java-tok",
                TokenRequest.unlimited().withName("ci").withKeys(List.of("A")).withTtl(Duration.ofHours(1)));
        assertTrue(issued.token().reveal().startsWith("avt_"));
        assertFalse(issued.toString().contains(issued.token().reveal()), "toString masks the token");
        assertEquals(List.of("A"), issued.keys());
        Instant expires = issued.expiresAt().orElseThrow();
        assertTrue(expires.isAfter(Instant.now().plusSeconds(3000)) && expires.isBefore(Instant.now().plusSeconds(3700)),
                expires.toString());

        Anima agent = Anima.builder().apiKey(issued.token().reveal()).baseUrl(vault.baseUrl()).build();
        assertEquals("value-a-123", agent.vault().secrets().get("java-tok", "A").value().reveal());
        assertEquals("permission_denied", assertThrows(AnimaException.PermissionDenied.class,
                () -> agent.vault().secrets().get("java-tok", "B")).code());

        am.identities().tokens().revoke("java-tok", issued.id());
        assertThrows(AnimaException.Unauthenticated.class, () -> agent.vault().secrets().get("java-tok", "A"));
    }

    @Test
    void secretsCreateGetPutVersionsListDelete() {
        am.identities().create("java-sec");
        SecretMetadata created = am.vault().secrets().create(
                NewSecret.of("java-sec", "OPENAI_API_KEY", "sk-first-000", "api_key").withMetadata(Map.of("env", "dev")));
        assertEquals(1, created.version());
        assertEquals(2, am.vault().secrets().put("java-sec", "OPENAI_API_KEY", SecretUpdate.of("sk-second-000")).version());

        Secret current = am.vault().secrets().get("java-sec", "OPENAI_API_KEY");
        assertEquals("sk-second-000", current.value().reveal());
        assertEquals(2, current.version());
        assertEquals(Map.of("env", "dev"), current.metadata());
        assertFalse(current.toString().contains("sk-second-000"), current.toString());
        Secret v1 = am.vault().secrets().get("java-sec", "OPENAI_API_KEY", 1);
        assertEquals("sk-first-000", v1.value().reveal());
        assertEquals(2, v1.currentVersion());

        am.vault().secrets().create(NewSecret.of("java-sec", "OTHER", "x-value-000", "api_key"));
        Page<SecretMetadata> page = am.vault().secrets().list("java-sec", 1, null);
        Page<SecretMetadata> rest = am.vault().secrets().list("java-sec", 100, page.nextCursor().orElseThrow());
        List<String> keys = new ArrayList<>();
        page.forEach(s -> keys.add(s.key()));
        rest.forEach(s -> keys.add(s.key()));
        assertEquals(List.of("OPENAI_API_KEY", "OTHER"), keys.stream().sorted().toList());
        assertTrue(rest.nextCursor().isEmpty());

        am.vault().secrets().delete("java-sec", "OTHER");
        assertEquals("secret_not_found", assertThrows(AnimaException.NotFound.class,
                () -> am.vault().secrets().get("java-sec", "OTHER")).code());
    }

    @Test
    void auditLogsFilterAndPage() {
        am.identities().create("java-aud");
        am.vault().secrets().create(NewSecret.of("java-aud", "K", "value-123", "api_key"));
        for (int i = 0; i < 3; i++) {
            am.vault().secrets().get("java-aud", "K");
        }
        Page<AuditEvent> reads = am.vault().audit().getLogs(LogQuery.identity("java-aud").action("secret.read").limit(2));
        assertEquals(2, reads.size());
        for (AuditEvent e : reads) {
            assertEquals("secret.read", e.action());
            assertEquals("K", e.secretKey());
            assertEquals("SUCCESS", e.outcome());
        }
        Page<AuditEvent> more = am.vault().audit().getLogs(LogQuery.identity("java-aud").action("secret.read")
                .cursor(reads.nextCursor().orElseThrow()));
        assertEquals(1, more.size());
        assertTrue(am.vault().audit().getLogs(LogQuery.identity("java-aud").from(Instant.now().minusSeconds(3600))).size() >= 4);
        assertEquals("ok", Anima.builder().withoutApiKey().baseUrl(vault.baseUrl()).build().sys().health().status());
    }
}
