package dev.animavault.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.config.AdminConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.util.encoders.Base32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admin login end to end over real HTTP and real storage (issue 13): password, TOTP enrollment and use,
 * replay, the one-step window, recovery codes, the lock after 20 wrong codes, sessions expiring on an
 * injected clock, recent-MFA for sensitive operations, and an auditor that never receives a secret value.
 */
class AdminLoginTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final String PASSWORD = "a long enough passphrase";
    private static final String SECRET_VALUE = "auditor-must-never-see-this-value-42";

    @TempDir
    static Path root;
    private static TestVault vault;
    private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-03-01T00:00:10Z"));

    /** An enrolled admin: its TOTP secret, a session and its recovery codes. */
    record Enrolled(String username, byte[] secret, String session, List<String> recoveryCodes) {
    }

    @BeforeAll
    static void start() {
        // cheap Argon2id keeps the test fast; the address threshold is high so that only the per-account
        // counts (the subject here) lock anything; LoginThrottle's own test covers addresses
        AdminConfig admin = new AdminConfig(true, Duration.ofMinutes(15), Duration.ofHours(8), Duration.ofMinutes(5),
                Duration.ofMinutes(5), 1024, 1, 1, 2, Duration.ofSeconds(5), 1.0, 5, 1000, Duration.ofMinutes(15), 20,
                Duration.ofMinutes(15));
        vault = TestVault.start(root, CLOCK, b -> b.admin(admin));
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
        assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                "key", "K", "value", SECRET_VALUE, "type", "api_key"))).status());
    }

    @AfterAll
    static void stop() {
        if (vault != null) {
            vault.close();
        }
    }

    @Test
    void loginWithoutTheCodeIsRefused() {
        create("nocode", "owner");
        JsonNode first = login("nocode", PASSWORD);
        assertEquals("enroll", first.path("next").asText());
        assertTrue(first.path("otpauthUri").asText().startsWith("otpauth://totp/Anima%20Vault:default%2Fnocode?secret="));
        String challenge = first.path("challenge").asText();
        // the challenge is no session
        assertEquals(401, vault.get("/v1/admins", challenge).status());
        byte[] secret = Base32.decode(first.path("totpSecret").asText());
        assertEquals(20, secret.length);
        assertEquals(401, mfa(challenge, wrong(code(secret, 0))).status());
        assertEquals(400, vault.post("/v1/auth/mfa", null, TestVault.json(Map.of("challenge", challenge))).status());
        Enrolled e = confirm("nocode", first, 0);
        assertEquals(200, vault.get("/v1/admins", e.session()).status());
        // enrolled: the password alone still gives only a challenge
        JsonNode again = login("nocode", PASSWORD);
        assertEquals("mfa", again.path("next").asText());
        assertFalse(again.has("otpauthUri"));
        assertEquals(401, vault.get("/v1/admins", again.path("challenge").asText()).status());
        assertEquals(401, login("nocode", "not the password at all", 401).status());
    }

    @Test
    void aReplayedCodeIsRefusedAndCodesOfTheNeighbouringStepsWork() {
        Enrolled e = enroll("replay", "admin");
        CLOCK.advance(Duration.ofSeconds(90)); // three steps after the enrollment's
        String previousStep = code(e.secret(), -1);
        assertEquals(200, mfa(challenge("replay"), previousStep).status(), "a code of the step before works");
        TestVault.Response replay = mfa(challenge("replay"), previousStep);
        assertEquals(401, replay.status(), "the same code again is refused");
        assertEquals("unauthenticated", replay.code());
        String nextStep = code(e.secret(), 1);
        assertEquals(200, mfa(challenge("replay"), nextStep).status(), "a code of the step after works");
        assertEquals(401, mfa(challenge("replay"), code(e.secret(), 0)).status(),
                "the current step's code is older than the one used last: refused");
        assertEquals(401, mfa(challenge("replay"), nextStep).status());
    }

    @Test
    void eachRecoveryCodeWorksOnce() {
        Enrolled e = enroll("recover", "admin");
        assertEquals(10, e.recoveryCodes().size());
        TestVault.Response first = mfa(challenge("recover"), e.recoveryCodes().get(0));
        assertEquals(200, first.status());
        assertTrue(first.json().path("session").asText().startsWith("avs_"));
        assertEquals(401, mfa(challenge("recover"), e.recoveryCodes().get(0)).status());
        assertEquals(200, mfa(challenge("recover"), e.recoveryCodes().get(1).toUpperCase(java.util.Locale.ROOT))
                .status());
        assertEquals(8, vault.get("/v1/admins/recover", OWNER).json().path("recoveryCodesLeft").asInt());
        JsonNode used = auditEvents("admin.mfa.recovery");
        assertTrue(count(used, "SUCCESS", "recover") >= 2, used.toString());
    }

    @Test
    void twentyWrongCodesLockTheAccountAndTheLockIsAudited() {
        Enrolled e = enroll("locked", "admin");
        String right = code(e.secret(), 0);
        int wrongCodes = 0;
        for (int round = 0; round < 4; round++) {
            String challenge = challenge("locked");
            for (int i = 0; i < AdminSessions.CHALLENGE_MAX_FAILURES; i++) {
                assertEquals(401, mfa(challenge, wrong(right)).status());
                wrongCodes++;
            }
            // the challenge is gone after five wrong codes, even for the right one
            assertEquals(401, mfa(challenge, right).status());
        }
        assertEquals(20, wrongCodes);
        TestVault.Response locked = login("locked", PASSWORD, 429);
        assertEquals("rate_limited", locked.code());
        assertNotNull(vault.get("/v1/admins/locked", OWNER).json().path("lockedUntil").textValue());
        JsonNode lock = auditEvents("admin.account.lock");
        assertEquals(1, count(lock, "SUCCESS", "locked"), lock.toString());
        assertTrue(count(auditEvents("admin.login"), "DENIED", "locked") >= 1);
        CLOCK.advance(Duration.ofMinutes(15).plusSeconds(30));
        assertEquals(200, mfa(challenge("locked"), code(e.secret(), 0)).status(), "the lock ends");
    }

    @Test
    void failedPasswordsLockTheAccountForAGrowingDelay() {
        create("guessed", "auditor");
        for (int i = 0; i < 5; i++) {
            assertEquals(401, login("guessed", "wrong password number " + i, 401).status());
        }
        TestVault.Response throttled = login("guessed", PASSWORD, 429);
        assertEquals("rate_limited", throttled.code());
        CLOCK.advance(Duration.ofSeconds(2));
        assertEquals("enroll", login("guessed", PASSWORD).path("next").asText());
    }

    @Test
    void anAuditorSessionNeverReceivesASecretValueAndARoleChangeAppliesAtOnce() {
        Enrolled auditor = enroll("audrey", "auditor");
        TestVault.Response read = vault.get("/v1/vault/secrets/agent_1/K", auditor.session());
        assertEquals(403, read.status());
        assertEquals("permission_denied", read.code());
        assertFalse(read.body().contains(SECRET_VALUE));
        TestVault.Response list = vault.get("/v1/vault/secrets/agent_1", auditor.session());
        assertEquals(200, list.status(), list.body());
        assertFalse(list.body().contains(SECRET_VALUE));
        // an auditor cannot make admins or give itself more
        assertEquals(403, vault.post("/v1/admins", auditor.session(), TestVault.json(Map.of("username", "sneaky",
                "password", PASSWORD, "role", "owner"))).status());
        assertEquals(403, vault.request("PATCH", "/v1/admins/audrey", auditor.session(), "{\"role\":\"owner\"}")
                .status());
        // an owner admin reads the value; a custom role granting reads applies to the auditor's live session
        Enrolled owner = enroll("olivia", "owner");
        TestVault.Response ownerRead = vault.get("/v1/vault/secrets/agent_1/K", owner.session());
        assertEquals(200, ownerRead.status(), ownerRead.body());
        assertTrue(ownerRead.body().contains(SECRET_VALUE));
        assertEquals(200, vault.put("/v1/admin-roles/reader", owner.session(),
                "{\"permissions\":[\"secrets:list\",\"secrets:read\"]}").status());
        assertEquals(200, vault.request("PATCH", "/v1/admins/audrey", owner.session(), "{\"role\":\"reader\"}")
                .status());
        assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", auditor.session()).status());
        assertEquals(403, vault.get("/v1/admins", auditor.session()).status(), "reader has no admins:read");
        JsonNode changes = auditEvents("admin.update");
        assertTrue(count(changes, "SUCCESS", "audrey") >= 1);
    }

    @Test
    void sessionsExpireWhenIdleAndAtTheirMaximumAge() {
        Enrolled e = enroll("sessy", "admin");
        assertEquals(200, vault.get("/v1/auth/sessions", e.session()).status());
        CLOCK.advance(Duration.ofMinutes(15).plusSeconds(1));
        assertEquals(401, vault.get("/v1/auth/sessions", e.session()).status(), "idle too long");

        String session = mfa(challenge("sessy"), code(e.secret(), 0)).json().path("session").asText();
        for (int i = 0; i < 47; i++) { // used every 10 minutes: never idle, but 8 h old in the end
            CLOCK.advance(Duration.ofMinutes(10));
            assertEquals(200, vault.get("/v1/auth/sessions", session).status(), "after " + (i + 1) * 10 + " min");
        }
        CLOCK.advance(Duration.ofMinutes(10));
        assertEquals(401, vault.get("/v1/auth/sessions", session).status(), "older than session-max-age");
    }

    @Test
    void sensitiveOperationsNeedARecentSecondFactorAndSessionsCanBeListedRevokedAndEnded() {
        Enrolled owner = enroll("otto", "owner");
        assertEquals(201, vault.post("/v1/admins", owner.session(), TestVault.json(Map.of("username", "fresh1",
                "password", PASSWORD, "role", "auditor"))).status());
        CLOCK.advance(Duration.ofMinutes(6));
        TestVault.Response stale = vault.post("/v1/admins", owner.session(), TestVault.json(Map.of("username",
                "fresh2", "password", PASSWORD, "role", "auditor")));
        assertEquals(403, stale.status());
        assertTrue(stale.json().path("detail").asText().contains("/v1/auth/step-up"));
        assertEquals(401, vault.post("/v1/auth/step-up", owner.session(), TestVault.json(Map.of("code",
                wrong(code(owner.secret(), 0))))).status());
        assertEquals(200, vault.post("/v1/auth/step-up", owner.session(), TestVault.json(Map.of("code",
                code(owner.secret(), 0)))).status());
        assertEquals(201, vault.post("/v1/admins", owner.session(), TestVault.json(Map.of("username", "fresh2",
                "password", PASSWORD, "role", "auditor"))).status());

        CLOCK.advance(Duration.ofSeconds(30));
        String second = mfa(challenge("otto"), code(owner.secret(), 0)).json().path("session").asText();
        JsonNode sessions = vault.get("/v1/auth/sessions", owner.session()).json().path("items");
        assertEquals(2, sessions.size());
        String secondId = second.substring(4, 20);
        assertEquals(204, vault.delete("/v1/auth/sessions/" + secondId, owner.session()).status());
        assertEquals(401, vault.get("/v1/auth/sessions", second).status());
        assertEquals(404, vault.delete("/v1/auth/sessions/" + secondId, owner.session()).status());
        assertEquals(204, vault.post("/v1/auth/logout", owner.session(), null).status());
        assertEquals(401, vault.get("/v1/auth/sessions", owner.session()).status());
        // an API key has no sessions of its own
        assertEquals(403, vault.get("/v1/auth/sessions", OWNER).status());
    }

    @Test
    void disablingAnAccountEndsItsSessionsAndMfaResetMakesItEnrollAgain() {
        Enrolled e = enroll("dora", "admin");
        assertEquals(200, vault.request("PATCH", "/v1/admins/dora", OWNER, "{\"disabled\":true}").status());
        assertEquals(401, vault.get("/v1/auth/sessions", e.session()).status());
        assertEquals(401, login("dora", PASSWORD, 401).status());
        assertEquals(200, vault.request("PATCH", "/v1/admins/dora", OWNER, "{\"disabled\":false}").status());
        assertEquals(200, vault.delete("/v1/admins/dora/mfa", OWNER).status());
        assertEquals("enroll", login("dora", PASSWORD).path("next").asText());
        assertTrue(count(auditEvents("admin.mfa.reset"), "SUCCESS", "dora") >= 1);
    }

    @Test
    void deletingAnAdminEndsItsSessionsARoleInUseAndTheLastOwnerAreKept() {
        Enrolled owner = enroll("delia", "owner");
        assertEquals(200, vault.put("/v1/admin-roles/temp-role", owner.session(),
                "{\"permissions\":[\"secrets:list\"]}").status());
        Enrolled temp = enroll("tempo", "temp-role");
        assertEquals(200, vault.get("/v1/vault/secrets/agent_1", temp.session()).status());
        TestVault.Response inUse = vault.delete("/v1/admin-roles/temp-role", owner.session());
        assertEquals(409, inUse.status(), inUse.body());
        assertEquals("in_use", inUse.code());
        assertEquals(403, vault.delete("/v1/admins/delia", temp.session()).status(), "no admins:write");
        assertEquals(204, vault.delete("/v1/admins/tempo", owner.session()).status());
        assertEquals(401, vault.get("/v1/vault/secrets/agent_1", temp.session()).status(), "its session ended");
        assertEquals(401, login("tempo", PASSWORD, 401).status());
        assertEquals(404, vault.delete("/v1/admins/tempo", owner.session()).status());
        assertEquals(204, vault.delete("/v1/admin-roles/temp-role", owner.session()).status());
        assertEquals(404, vault.delete("/v1/admin-roles/temp-role", owner.session()).status());
        assertEquals(400, vault.delete("/v1/admin-roles/owner", owner.session()).status(), "built in");
        // other tests made owners too: delete every other enabled owner, then the last one is refused
        for (JsonNode a : vault.get("/v1/admins", OWNER).json().path("items")) {
            String name = a.path("username").asText();
            if ("owner".equals(a.path("role").asText()) && !name.equals("delia") && !a.path("disabled").asBoolean()) {
                assertEquals(204, vault.delete("/v1/admins/" + name, OWNER).status(), name);
            }
        }
        TestVault.Response last = vault.delete("/v1/admins/delia", OWNER);
        assertEquals(409, last.status(), last.body());
        assertEquals("in_use", last.code());
        assertTrue(count(auditEvents("admin.delete"), "SUCCESS", "tempo") >= 1);
    }

    // ------------------------------------------------------------------ helpers

    private static void create(String username, String role) {
        TestVault.Response r = vault.post("/v1/admins", OWNER, TestVault.json(Map.of("username", username,
                "password", PASSWORD, "role", role)));
        assertEquals(201, r.status(), r.body());
        assertFalse(r.body().contains("argon2"));
    }

    private static JsonNode login(String username, String password) {
        return login(username, password, 200).json();
    }

    private static TestVault.Response login(String username, String password, int expected) {
        TestVault.Response r = vault.post("/v1/auth/login", null, TestVault.json(Map.of("organizationId", "default",
                "username", username, "password", password)));
        assertEquals(expected, r.status(), r.body());
        return r;
    }

    private static String challenge(String username) {
        JsonNode r = login(username, PASSWORD);
        assertEquals("mfa", r.path("next").asText());
        return r.path("challenge").asText();
    }

    private static TestVault.Response mfa(String challenge, String code) {
        return vault.post("/v1/auth/mfa", null, TestVault.json(Map.of("challenge", challenge, "code", code)));
    }

    private static Enrolled enroll(String username, String role) {
        create(username, role);
        return confirm(username, login(username, PASSWORD), 0);
    }

    private static Enrolled confirm(String username, JsonNode enrollment, int stepOffset) {
        byte[] secret = Base32.decode(enrollment.path("totpSecret").asText());
        TestVault.Response r = mfa(enrollment.path("challenge").asText(), code(secret, stepOffset));
        assertEquals(200, r.status(), r.body());
        List<String> codes = new ArrayList<>();
        r.json().path("recoveryCodes").forEach(c -> codes.add(c.asText()));
        assertEquals(10, codes.size());
        return new Enrolled(username, secret, r.json().path("session").asText(), codes);
    }

    private static String code(byte[] secret, int stepOffset) {
        return Totp.code(secret, Totp.step(CLOCK.instant()) + stepOffset, 6);
    }

    private static String wrong(String code) {
        char c = code.charAt(0);
        return (c == '9' ? '0' : (char) (c + 1)) + code.substring(1);
    }

    private static JsonNode auditEvents(String action) {
        TestVault.Response r = vault.get("/v1/vault/audit/logs?limit=1000&action=" + action, OWNER);
        assertEquals(200, r.status(), r.body());
        return r.json().path("items");
    }

    private static int count(JsonNode events, String outcome, String username) {
        int n = 0;
        for (JsonNode e : events) {
            if (outcome.equals(e.path("outcome").asText()) && username.equals(e.path("details").path("username").asText())) {
                n++;
            }
        }
        return n;
    }
}
