package dev.animavault.core.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.admin.MutableClock;
import dev.animavault.core.admin.Totp;
import dev.animavault.core.config.AdminConfig;
import java.time.Instant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.util.encoders.Base32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives every endpoint with every kind of principal and checks each answer against {@link #TABLE}.
 *
 * <p>To add a principal (e.g. the ADMIN session of an admin account, or an auditor account): add it to
 * {@link Who} (a column, in order), make its token in {@link #principals}, and add one status to every
 * row. Until admin sessions exist, {@link Who#AUDITOR} and {@link Who#ADMIN} are API keys holding
 * {@link Role#AUDITOR} and {@link Role#ADMIN} permissions.
 */
@Timeout(180)
class PermissionMatrixTest {
    private static final String SECRET_A = "value-of-agent-a-7f3c2e";
    private static final String SECRET_B = "value-of-agent-b-91d0aa";

    /** The columns of the table, in order. */
    enum Who {
        /** The bootstrap key: instance owner (every permission, orgs:write too). */
        INSTANCE,
        /** A key with the owner role of the organization. */
        OWNER,
        /** A key with the admin role. */
        ADMIN,
        /** A key with the auditor role: metadata, audit and reports, never a value. */
        AUDITOR,
        /** A custom permission set: identities:read, secrets:list, secrets:read. */
        CUSTOM,
        /** The admin role limited to identity agent_a. */
        SCOPED,
        /** agent_a's identity token. */
        IDENTITY,
        /** The owner key of another organization. */
        OTHER_ORG
    }

    /** One endpoint call; {@code %w} in path or body is replaced by the principal's lower-case name. */
    record Row(String method, String path, String body, int... expected) {
        String label() {
            return method + " " + path;
        }
    }

    private static Row row(String method, String path, String body, int... expected) {
        return new Row(method, path, body, expected);
    }

    // @formatter:off
    private static final List<Row> TABLE = List.of(
        //                                                                             INST OWNR ADMN AUDT CUST SCOP IDEN OTHR
        row("GET",    "/v1/sys/health", null,                                          200, 200, 200, 200, 200, 200, 200, 200),
        row("GET",    "/v1/openapi.json", null,                                        200, 200, 200, 200, 200, 200, 200, 200),
        row("GET",    "/v1/identities", null,                                          200, 200, 200, 200, 200, 403, 403, 200),
        row("POST",   "/v1/identities", "{\"id\":\"new_%w\"}",                         201, 201, 201, 403, 403, 403, 403, 201),
        row("GET",    "/v1/identities/agent_a", null,                                  200, 200, 200, 200, 200, 200, 200, 404),
        row("GET",    "/v1/identities/agent_b", null,                                  200, 200, 200, 200, 200, 403, 403, 404),
        row("DELETE", "/v1/identities/victim_%w", null,                                200, 200, 200, 403, 403, 403, 403, 404),
        row("POST",   "/v1/identities/agent_a/tokens", "{}",                           201, 201, 201, 403, 403, 201, 403, 404),
        row("GET",    "/v1/identities/agent_a/tokens", null,                           200, 200, 200, 403, 403, 200, 403, 404),
        row("DELETE", "/v1/identities/agent_a/tokens/0000000000000000", null,          404, 404, 404, 403, 403, 404, 403, 404),
        row("DELETE", "/v1/identities/agent_b/tokens/0000000000000000", null,          404, 404, 404, 403, 403, 403, 403, 404),
        row("POST",   "/v1/vault/secrets",
                "{\"identityId\":\"agent_a\",\"key\":\"k_%w\",\"value\":\"v\"}",          201, 201, 201, 403, 403, 201, 403, 404),
        row("PUT",    "/v1/vault/secrets/agent_a/db", "{\"value\":\"" + SECRET_A + "\"}", 200, 200, 200, 403, 403, 200, 403, 404),
        row("GET",    "/v1/vault/secrets/agent_a/db", null,                            200, 200, 200, 403, 200, 200, 200, 404),
        row("GET",    "/v1/vault/secrets/agent_a/db?form=stored", null,                200, 200, 200, 403, 403, 200, 403, 404),
        row("GET",    "/v1/vault/secrets/agent_b/db", null,                            200, 200, 200, 403, 200, 403, 403, 404),
        row("GET",    "/v1/vault/secrets/agent_a", null,                               200, 200, 200, 200, 200, 200, 200, 404),
        row("GET",    "/v1/vault/secrets/agent_b", null,                               200, 200, 200, 200, 200, 403, 403, 404),
        row("DELETE", "/v1/vault/secrets/agent_a/del_%w", null,                        204, 204, 204, 403, 403, 204, 403, 404),
        row("PATCH",  "/v1/vault/secrets/agent_a/db/rotation", "{\"interval\":\"1h\"}", 400, 400, 400, 403, 403, 400, 403, 404),
        row("DELETE", "/v1/vault/secrets/agent_a/db/rotation", null,                   404, 404, 404, 403, 403, 404, 403, 404),
        row("POST",   "/v1/vault/secrets/agent_a/db/rotate", null,                     400, 400, 400, 403, 403, 400, 403, 404),
        row("GET",    "/v1/vault/secrets/agent_a/db/rotation/deliveries", null,        200, 200, 200, 200, 200, 200, 403, 404),
        row("POST",   "/v1/vault/rotation/signing-secret", null,                       201, 201, 201, 403, 403, 403, 403, 201),
        row("GET",    "/v1/vault/audit/logs?limit=5", null,                            200, 200, 200, 200, 403, 403, 403, 200),
        row("GET",    "/v1/vault/audit/logs?limit=5&organizationId=default", null,     200, 200, 200, 200, 403, 403, 403, 403),
        row("GET",    "/v1/vault/audit/reports", null,                                 200, 200, 200, 200, 403, 403, 403, 200),
        row("POST",   "/v1/sys/audit-hash", "{\"value\":\"10.0.0.1\"}",                200, 200, 200, 200, 403, 403, 403, 200),
        row("GET",    "/v1/sys/plugins", null,                                         200, 200, 200, 200, 403, 403, 403, 200),
        row("POST",   "/v1/api-keys", "{\"name\":\"%w\",\"permissions\":[\"secrets:list\"]}",
                                                                                       201, 201, 201, 403, 403, 403, 403, 201),
        row("POST",   "/v1/api-keys", "{\"permissions\":[\"orgs:write\"]}",            201, 403, 403, 403, 403, 403, 403, 403),
        row("POST",   "/v1/api-keys", "{\"permissions\":[\"keys:rotate\"]}",           201, 403, 403, 403, 403, 403, 403, 403),
        row("POST",   "/v1/api-keys",
                "{\"permissions\":[\"secrets:read\"],\"identityId\":\"agent_a\"}",     201, 201, 201, 403, 403, 201, 403, 404),
        row("GET",    "/v1/api-keys", null,                                            200, 200, 200, 403, 403, 403, 403, 200),
        row("DELETE", "/v1/api-keys/0000000000000000", null,                           404, 404, 404, 403, 403, 403, 403, 404),
        row("POST",   "/v1/sys/organizations", "{\"id\":\"org_%w\"}",                  201, 403, 403, 403, 403, 403, 403, 403),
        row("GET",    "/v1/sys/organizations", null,                                   200, 403, 403, 403, 403, 403, 403, 403),
        row("DELETE", "/v1/admins/nobody", null,                                       404, 404, 403, 403, 403, 403, 403, 404),
        row("DELETE", "/v1/admin-roles/nothing_here", null,                            404, 404, 403, 403, 403, 403, 403, 404),
        row("POST",   "/v1/sys/organizations/other/enable", null,                      200, 403, 403, 403, 403, 403, 403, 403),
        row("DELETE", "/v1/sys/organizations/nothing_here", null,                      404, 403, 403, 403, 403, 403, 403, 403),
        // keys:rotate is instance-wide: the instance owner only, not an organization's owner (issue 14)
        row("POST",   "/v1/sys/keyring/rotate", null,                                  200, 403, 403, 403, 403, 403, 403, 403)
    );
    // @formatter:on

    /**
     * Admin sessions (avs_ tokens of admin accounts, obtained through the real password + TOTP login), as
     * four more columns of {@link #TABLE}: one row per TABLE row, same method, path and body, in the same
     * order (checked). Kept apart so that TABLE's rows merge without touching these.
     */
    enum Session {
        /** An admin account with the owner role. */
        S_OWNER,
        /** An admin account with the admin role. */
        S_ADMIN,
        /** An admin account with the auditor role: never a secret value. */
        S_AUDITOR,
        /** An admin account with a custom role: identities:read, secrets:list, secrets:read. */
        S_CUSTOM
    }

    // @formatter:off
    private static final List<Row> SESSIONS = List.of(
        //                                                                             SOWN SADM SAUD SCUS
        row("GET",    "/v1/sys/health", null,                                          200, 200, 200, 200),
        row("GET",    "/v1/openapi.json", null,                                        200, 200, 200, 200),
        row("GET",    "/v1/identities", null,                                          200, 200, 200, 200),
        row("POST",   "/v1/identities", "{\"id\":\"new_%w\"}",                         201, 201, 403, 403),
        row("GET",    "/v1/identities/agent_a", null,                                  200, 200, 200, 200),
        row("GET",    "/v1/identities/agent_b", null,                                  200, 200, 200, 200),
        row("DELETE", "/v1/identities/victim_%w", null,                                200, 200, 403, 403),
        row("POST",   "/v1/identities/agent_a/tokens", "{}",                           201, 201, 403, 403),
        row("GET",    "/v1/identities/agent_a/tokens", null,                           200, 200, 403, 403),
        row("DELETE", "/v1/identities/agent_a/tokens/0000000000000000", null,          404, 404, 403, 403),
        row("DELETE", "/v1/identities/agent_b/tokens/0000000000000000", null,          404, 404, 403, 403),
        row("POST",   "/v1/vault/secrets",
                "{\"identityId\":\"agent_a\",\"key\":\"k_%w\",\"value\":\"v\"}",          201, 201, 403, 403),
        row("PUT",    "/v1/vault/secrets/agent_a/db", "{\"value\":\"" + SECRET_A + "\"}", 200, 200, 403, 403),
        row("GET",    "/v1/vault/secrets/agent_a/db", null,                            200, 200, 403, 200),
        row("GET",    "/v1/vault/secrets/agent_a/db?form=stored", null,                200, 200, 403, 403),
        row("GET",    "/v1/vault/secrets/agent_b/db", null,                            200, 200, 403, 200),
        row("GET",    "/v1/vault/secrets/agent_a", null,                               200, 200, 200, 200),
        row("GET",    "/v1/vault/secrets/agent_b", null,                               200, 200, 200, 200),
        row("DELETE", "/v1/vault/secrets/agent_a/del_%w", null,                        204, 204, 403, 403),
        row("PATCH",  "/v1/vault/secrets/agent_a/db/rotation", "{\"interval\":\"1h\"}", 400, 400, 403, 403),
        row("DELETE", "/v1/vault/secrets/agent_a/db/rotation", null,                   404, 404, 403, 403),
        row("POST",   "/v1/vault/secrets/agent_a/db/rotate", null,                     400, 400, 403, 403),
        row("GET",    "/v1/vault/secrets/agent_a/db/rotation/deliveries", null,        200, 200, 200, 200),
        row("POST",   "/v1/vault/rotation/signing-secret", null,                       201, 201, 403, 403),
        row("GET",    "/v1/vault/audit/logs?limit=5", null,                            200, 200, 200, 403),
        row("GET",    "/v1/vault/audit/logs?limit=5&organizationId=default", null,     200, 200, 200, 403),
        row("GET",    "/v1/vault/audit/reports", null,                                 200, 200, 200, 403),
        row("POST",   "/v1/sys/audit-hash", "{\"value\":\"10.0.0.1\"}",                200, 200, 200, 403),
        row("GET",    "/v1/sys/plugins", null,                                         200, 200, 200, 403),
        row("POST",   "/v1/api-keys", "{\"name\":\"%w\",\"permissions\":[\"secrets:list\"]}",
                                                                                       201, 201, 403, 403),
        row("POST",   "/v1/api-keys", "{\"permissions\":[\"orgs:write\"]}",            403, 403, 403, 403),
        row("POST",   "/v1/api-keys", "{\"permissions\":[\"keys:rotate\"]}",           403, 403, 403, 403),
        row("POST",   "/v1/api-keys",
                "{\"permissions\":[\"secrets:read\"],\"identityId\":\"agent_a\"}",     201, 201, 403, 403),
        row("GET",    "/v1/api-keys", null,                                            200, 200, 403, 403),
        row("DELETE", "/v1/api-keys/0000000000000000", null,                           404, 404, 403, 403),
        row("POST",   "/v1/sys/organizations", "{\"id\":\"org_%w\"}",                  403, 403, 403, 403),
        row("GET",    "/v1/sys/organizations", null,                                   403, 403, 403, 403),
        row("DELETE", "/v1/admins/nobody", null,                                       404, 403, 403, 403),
        row("DELETE", "/v1/admin-roles/nothing_here", null,                            404, 403, 403, 403),
        row("POST",   "/v1/sys/organizations/other/enable", null,                      403, 403, 403, 403),
        row("DELETE", "/v1/sys/organizations/nothing_here", null,                      403, 403, 403, 403),
        row("POST",   "/v1/sys/keyring/rotate", null,                                  403, 403, 403, 403)
    );
    // @formatter:on

    private static final String PASSWORD = "a long enough passphrase";
    private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-03-01T00:00:10Z"));

    @TempDir
    Path tmp;

    @Test
    void everyEndpointAnswersEveryPrincipalAsTheTableSays() {
        // cheap Argon2id and an injected clock: the admin sessions log in with a TOTP code of that clock
        try (TestVault vault = TestVault.start(tmp, CLOCK, b -> b.admin(AdminConfig.DEFAULTS.withArgon2(1024, 1, 1)))) {
            Map<Who, String> tokens = principals(vault);
            Map<Session, String> sessions = sessions(vault);
            List<String> mismatches = new ArrayList<>();
            assertEquals(TABLE.size(), SESSIONS.size(), "SESSIONS needs one row per TABLE row");
            for (int i = 0; i < TABLE.size(); i++) {
                Row row = TABLE.get(i);
                Row srow = SESSIONS.get(i);
                assertEquals(row.label() + " " + row.body(), srow.label() + " " + srow.body(), "SESSIONS row " + i);
                assertEquals(Session.values().length, srow.expected().length, "row " + srow.label());
                for (Session who : Session.values()) {
                    String name = who.name().toLowerCase(Locale.ROOT).replace("_", "");
                    String path = srow.path().replace("%w", name);
                    String body = srow.body() == null ? null : srow.body().replace("%w", name);
                    Response r = vault.request(srow.method(), path, sessions.get(who), body);
                    int want = srow.expected()[who.ordinal()];
                    if (r.status() != want) {
                        mismatches.add(srow.method() + " " + path + " as " + who + ": " + r.status() + " (expected "
                                + want + ") " + r.body());
                    }
                    if (r.status() == 403) {
                        assertEquals("permission_denied", r.code(), r.body());
                    }
                    if (who == Session.S_AUDITOR || r.status() >= 300) {
                        assertFalse(r.body().contains(SECRET_A) || r.body().contains(SECRET_B),
                                who + " received a secret value from " + srow.label() + ": " + r.body());
                    }
                }
            }
            for (Row row : TABLE) {
                assertEquals(Who.values().length, row.expected().length, "row " + row.label() + " needs one status "
                        + "per principal " + List.of(Who.values()));
                for (Who who : Who.values()) {
                    String name = who.name().toLowerCase(Locale.ROOT).replace("_", "");
                    String path = row.path().replace("%w", name);
                    String body = row.body() == null ? null : row.body().replace("%w", name);
                    Response r = vault.request(row.method(), path, tokens.get(who), body);
                    int want = row.expected()[who.ordinal()];
                    if (r.status() != want) {
                        mismatches.add(row.method() + " " + path + " as " + who + ": " + r.status() + " (expected "
                                + want + ") " + r.body());
                    }
                    if (r.status() == 403) {
                        assertEquals("permission_denied", r.code(), r.body());
                        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
                    }
                    if (who == Who.AUDITOR || who == Who.OTHER_ORG || r.status() >= 300) {
                        assertFalse(r.body().contains(SECRET_A) || r.body().contains(SECRET_B),
                                who + " received a secret value from " + row.label() + ": " + r.body());
                    }
                }
            }
            assertTrue(mismatches.isEmpty(), mismatches.size() + " answers differ from the table:\n"
                    + String.join("\n", mismatches));

            // refusals are audited as DENIED with the principal's actor
            JsonNode denied = vault.get("/v1/vault/audit/logs?outcome=DENIED&action=secret.read&limit=100",
                    TestVault.OWNER_TOKEN).json().get("items");
            assertTrue(denied.size() >= 2, denied.toString());
            // nothing of organization 'other' shows in the default organization's log, and the other way round
            JsonNode otherLog = vault.get("/v1/vault/audit/logs?limit=200", tokens.get(Who.OTHER_ORG)).json()
                    .get("items");
            for (JsonNode e : otherLog) {
                assertEquals("other", e.get("organizationId").asText(), e.toString());
            }
            JsonNode otherIdentities = vault.get("/v1/identities", tokens.get(Who.OTHER_ORG)).json().get("items");
            for (JsonNode i : otherIdentities) {
                assertFalse(i.get("id").asText().startsWith("agent_"), otherIdentities.toString());
            }
        }
    }

    /** Creates the identities, secrets and keys the table needs; returns each column's token. */
    static Map<Who, String> principals(TestVault vault) {
        String instance = TestVault.OWNER_TOKEN;
        for (String id : List.of("agent_a", "agent_b")) {
            ok(vault.post("/v1/identities", instance, "{\"id\":\"" + id + "\"}"), 201);
        }
        ok(vault.post("/v1/vault/secrets", instance, "{\"identityId\":\"agent_a\",\"key\":\"db\",\"value\":\""
                + SECRET_A + "\"}"), 201);
        ok(vault.post("/v1/vault/secrets", instance, "{\"identityId\":\"agent_b\",\"key\":\"db\",\"value\":\""
                + SECRET_B + "\"}"), 201);
        for (Who who : Who.values()) {
            String name = who.name().toLowerCase(Locale.ROOT).replace("_", "");
            ok(vault.post("/v1/identities", instance, "{\"id\":\"victim_" + name + "\"}"), 201);
            ok(vault.post("/v1/vault/secrets", instance, "{\"identityId\":\"agent_a\",\"key\":\"del_" + name
                    + "\",\"value\":\"x\"}"), 201);
        }
        Map<Who, String> tokens = new EnumMap<>(Who.class);
        tokens.put(Who.INSTANCE, instance);
        tokens.put(Who.OWNER, apiKey(vault, instance, Role.OWNER.permissions(), null));
        tokens.put(Who.ADMIN, apiKey(vault, instance, Role.ADMIN.permissions(), null));
        tokens.put(Who.AUDITOR, apiKey(vault, instance, Role.AUDITOR.permissions(), null));
        tokens.put(Who.CUSTOM, apiKey(vault, instance, Set.of(Permission.IDENTITIES_READ, Permission.SECRETS_LIST,
                Permission.SECRETS_READ), null));
        tokens.put(Who.SCOPED, apiKey(vault, instance, Role.ADMIN.permissions(), "agent_a"));
        tokens.put(Who.IDENTITY, vault.post("/v1/identities/agent_a/tokens", instance, "{}").json().get("token")
                .asText());
        Response org = vault.post("/v1/sys/organizations", instance, "{\"id\":\"other\",\"name\":\"Other Inc\"}");
        ok(org, 201);
        tokens.put(Who.OTHER_ORG, org.json().get("ownerKey").get("token").asText());
        return tokens;
    }

    /**
     * Admin accounts of the default organization, one per {@link Session} column (the custom one with a
     * custom role), each logged in through {@code POST /v1/auth/login}, TOTP enrollment and
     * {@code POST /v1/auth/mfa} with a code of the injected clock; returns each column's session token.
     */
    static Map<Session, String> sessions(TestVault vault) {
        String instance = TestVault.OWNER_TOKEN;
        for (Session who : Session.values()) {
            String name = who.name().toLowerCase(Locale.ROOT).replace("_", "");
            ok(vault.post("/v1/identities", instance, "{\"id\":\"victim_" + name + "\"}"), 201);
            ok(vault.post("/v1/vault/secrets", instance, "{\"identityId\":\"agent_a\",\"key\":\"del_" + name
                    + "\",\"value\":\"x\"}"), 201);
        }
        ok(vault.put("/v1/admin-roles/matrix-custom", instance,
                "{\"permissions\":[\"identities:read\",\"secrets:list\",\"secrets:read\"]}"), 200);
        Map<Session, String> out = new EnumMap<>(Session.class);
        for (Session who : Session.values()) {
            String role = who == Session.S_CUSTOM ? "matrix-custom"
                    : who.name().substring(2).toLowerCase(Locale.ROOT);
            String username = "matrix-" + role;
            ok(vault.post("/v1/admins", instance, TestVault.json(Map.of("username", username, "password", PASSWORD,
                    "role", role))), 201);
            Response login = vault.post("/v1/auth/login", null, TestVault.json(Map.of("organizationId", "default",
                    "username", username, "password", PASSWORD)));
            ok(login, 200);
            assertEquals("enroll", login.json().path("next").asText(), login.body());
            byte[] secret = Base32.decode(login.json().path("totpSecret").asText());
            Response mfa = vault.post("/v1/auth/mfa", null, TestVault.json(Map.of("challenge",
                    login.json().path("challenge").asText(), "code", Totp.code(secret, Totp.step(CLOCK.instant()), 6))));
            ok(mfa, 200);
            assertEquals(role, mfa.json().path("role").asText());
            out.put(who, mfa.json().path("session").asText());
        }
        return out;
    }

    static String apiKey(TestVault vault, String creator, Set<Permission> permissions, String identityId) {
        String perms = permissions.stream().map(p -> "\"" + p.wire() + "\"").sorted().collect(Collectors.joining(","));
        Response r = vault.post("/v1/api-keys", creator, "{\"name\":\"matrix\",\"permissions\":[" + perms + "]"
                + (identityId == null ? "" : ",\"identityId\":\"" + identityId + "\"") + "}");
        ok(r, 201);
        return r.json().get("token").asText();
    }

    private static void ok(Response r, int status) {
        assertEquals(status, r.status(), r.body());
    }
}
