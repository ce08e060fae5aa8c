package dev.animavault.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.admin.Totp;
import dev.animavault.core.config.AdminConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.bouncycastle.util.encoders.Base32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every API operation produces its audit events: one row per operation and case (success, denied,
 * failed), each sent over HTTP with its own {@code X-Request-Id}, and the events the audit file holds for
 * that request id compared with the row's expectation ({@code action OUTCOME}, in order). A state change
 * is an {@code ATTEMPT} followed by its outcome, carrying {@code details.attempt}; a read is one event.
 *
 * <p>The operations come from the OpenAPI document: the test fails naming every documented operation
 * without a success row, so a new route cannot ship without saying what it records.
 */
@Timeout(120)
class AuditActionTableTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final String DOCUMENT = "src/main/resources/openapi/v1.json";

    @TempDir
    Path tmp;

    /** Values the rows use, made by the setup. */
    record Fixture(String agentToken, String otherToken, String revocableTokenId, String webhookUrl,
                   String adminSession, String stepUpCode, String otherSessionId, String logoutSession,
                   String challenge, String recoveryCode, String apiKeyId) {
    }

    enum Case { OK, DENIED, FAILED }

    /**
     * @param operation the documented operation ("GET /v1/identities/{id}")
     * @param method    HTTP method sent
     * @param path      concrete path
     * @param token     bearer token (null: none)
     * @param body      JSON body or null
     * @param status    expected status
     * @param events    expected events of this request, oldest first ("secret.read SUCCESS")
     */
    record Row(String operation, Case kind, String method, Function<Fixture, String> path, Function<Fixture, String> token,
               Function<Fixture, String> body, int status, List<String> events) {
        Row(String operation, Case kind, String method, Function<Fixture, String> path, Function<Fixture, String> token,
            String body, int status, List<String> events) {
            this(operation, kind, method, path, token, f -> body, status, events);
        }
    }

    private static Row row(String operation, Case kind, String path, Function<Fixture, String> token, String body,
                           int status, String... events) {
        return row(operation, kind, f -> path, token, body, status, events);
    }

    private static Row row(String operation, Case kind, Function<Fixture, String> path, Function<Fixture, String> token,
                           String body, int status, String... events) {
        return rowWith(operation, kind, path, token, f -> body, status, events);
    }

    /** A row whose body depends on the fixture (a login challenge, a TOTP code). */
    private static Row rowWith(String operation, Case kind, Function<Fixture, String> path,
                               Function<Fixture, String> token, Function<Fixture, String> body, int status,
                               String... events) {
        String method = operation.substring(0, operation.indexOf(' '));
        return new Row(operation, kind, method, path, token, body, status, List.of(events));
    }

    private static final Function<Fixture, String> OWNER_KEY = f -> OWNER;
    private static final Function<Fixture, String> AGENT = Fixture::agentToken;
    private static final Function<Fixture, String> NONE = f -> null;
    private static final Function<Fixture, String> ADMIN = Fixture::adminSession;
    private static final String PASSWORD = "a long enough passphrase";

    private static String change(String action, String outcome) {
        return action + " ATTEMPT|" + action + " " + outcome;
    }

    private static String[] seq(String... parts) {
        return String.join("|", parts).split("\\|");
    }

    /** The table. Rows run in order against one vault (later rows may rely on earlier ones). */
    static List<Row> rows() {
        String secretBody = TestVault.json(Map.of("identityId", "agent_1", "key", "NEW_KEY", "value", "value-new-1",
                "type", "api_key"));
        String rotSecret = "/v1/vault/secrets/agent_1/ROT";
        return List.of(
                // not audited by design: no principal, nothing about a secret or identity
                row("GET /v1/sys/health", Case.OK, "/v1/sys/health", NONE, null, 200),
                row("GET /v1/openapi.json", Case.OK, "/v1/openapi.json", NONE, null, 200),

                row("GET /v1/sys/plugins", Case.OK, "/v1/sys/plugins", OWNER_KEY, null, 200, "plugin.list SUCCESS"),
                row("GET /v1/sys/plugins", Case.DENIED, "/v1/sys/plugins", AGENT, null, 403, "plugin.list DENIED"),

                row("POST /v1/identities", Case.OK, "/v1/identities", OWNER_KEY, "{\"id\":\"agent_new\"}", 201,
                        seq(change("identity.create", "SUCCESS"))),
                row("POST /v1/identities", Case.FAILED, "/v1/identities", OWNER_KEY, "{\"id\":\"agent_new\"}", 409,
                        seq(change("identity.create", "FAILURE"))),
                row("POST /v1/identities", Case.DENIED, "/v1/identities", AGENT, "{\"id\":\"agent_x\"}", 403,
                        seq(change("identity.create", "DENIED"))),
                row("GET /v1/identities", Case.OK, "/v1/identities", OWNER_KEY, null, 200, "identity.list SUCCESS"),
                row("GET /v1/identities", Case.DENIED, "/v1/identities", AGENT, null, 403, "identity.list DENIED"),
                row("GET /v1/identities/{id}", Case.OK, "/v1/identities/agent_1", OWNER_KEY, null, 200,
                        "identity.read SUCCESS"),
                row("GET /v1/identities/{id}", Case.FAILED, "/v1/identities/agent_nope", OWNER_KEY, null, 404,
                        "identity.read FAILURE"),
                row("GET /v1/identities/{id}/tokens", Case.OK, "/v1/identities/agent_1/tokens", OWNER_KEY, null, 200,
                        "token.list SUCCESS"),
                row("GET /v1/identities/{id}/tokens", Case.DENIED, "/v1/identities/agent_1/tokens", AGENT, null, 403,
                        "token.list DENIED"),
                row("POST /v1/identities/{id}/tokens", Case.OK, "/v1/identities/agent_1/tokens", OWNER_KEY, "{}", 201,
                        seq(change("token.issue", "SUCCESS"))),
                row("POST /v1/identities/{id}/tokens", Case.FAILED, "/v1/identities/agent_nope/tokens", OWNER_KEY, "{}",
                        404, seq(change("token.issue", "FAILURE"))),
                row("POST /v1/identities/{id}/tokens", Case.DENIED, "/v1/identities/agent_1/tokens", AGENT, "{}", 403,
                        seq(change("token.issue", "DENIED"))),
                row("DELETE /v1/identities/{id}/tokens/{tokenId}", Case.OK,
                        f -> "/v1/identities/agent_2/tokens/" + f.revocableTokenId(), OWNER_KEY, null, 204,
                        seq(change("token.revoke", "SUCCESS"))),
                row("DELETE /v1/identities/{id}/tokens/{tokenId}", Case.DENIED,
                        f -> "/v1/identities/agent_2/tokens/" + f.revocableTokenId(), AGENT, null, 403,
                        seq(change("token.revoke", "DENIED"))),

                row("POST /v1/vault/secrets", Case.OK, "/v1/vault/secrets", OWNER_KEY, secretBody, 201,
                        seq(change("secret.create", "SUCCESS"))),
                row("POST /v1/vault/secrets", Case.FAILED, "/v1/vault/secrets", OWNER_KEY, secretBody, 409,
                        seq(change("secret.create", "FAILURE"))),
                row("POST /v1/vault/secrets", Case.DENIED, "/v1/vault/secrets", AGENT, secretBody, 403,
                        seq(change("secret.create", "DENIED"))),
                row("GET /v1/vault/secrets/{identityId}", Case.OK, "/v1/vault/secrets/agent_1", OWNER_KEY, null, 200,
                        "secret.list SUCCESS"),
                row("GET /v1/vault/secrets/{identityId}", Case.DENIED, "/v1/vault/secrets/agent_2", AGENT, null, 403,
                        "secret.list DENIED"),
                row("GET /v1/vault/secrets/{identityId}/{key}", Case.OK, "/v1/vault/secrets/agent_1/K", AGENT, null, 200,
                        "secret.read SUCCESS"),
                row("GET /v1/vault/secrets/{identityId}/{key}", Case.DENIED, "/v1/vault/secrets/agent_2/K2", AGENT, null,
                        403, "secret.read DENIED"),
                row("GET /v1/vault/secrets/{identityId}/{key}", Case.FAILED, "/v1/vault/secrets/agent_1/MISSING",
                        OWNER_KEY, null, 404, "secret.read FAILURE"),
                row("PUT /v1/vault/secrets/{identityId}/{key}", Case.OK, "/v1/vault/secrets/agent_1/K", OWNER_KEY,
                        "{\"value\":\"value-two-2\"}", 200, seq(change("secret.update", "SUCCESS"))),
                row("PUT /v1/vault/secrets/{identityId}/{key}", Case.FAILED, "/v1/vault/secrets/agent_1/MISSING",
                        OWNER_KEY, "{\"value\":\"value-two-2\"}", 404, seq(change("secret.update", "FAILURE"))),
                row("PUT /v1/vault/secrets/{identityId}/{key}", Case.DENIED, "/v1/vault/secrets/agent_1/K", AGENT,
                        "{\"value\":\"value-three-3\"}", 403, seq(change("secret.update", "DENIED"))),

                new Row("PATCH /v1/vault/secrets/{identityId}/{key}/rotation", Case.OK, "PATCH", f -> rotSecret + "/rotation",
                        OWNER_KEY, (String) null, 200, List.of(seq(change("secret.rotation.policy", "SUCCESS")))),
                row("PATCH /v1/vault/secrets/{identityId}/{key}/rotation", Case.DENIED, rotSecret + "/rotation", AGENT,
                        "{\"interval\":\"30d\"}", 403, seq(change("secret.rotation.policy", "DENIED"))),
                row("POST /v1/vault/secrets/{identityId}/{key}/rotate", Case.OK, rotSecret + "/rotate", OWNER_KEY, null,
                        202, seq(change("secret.rotation.trigger", "SUCCESS"))),
                row("POST /v1/vault/secrets/{identityId}/{key}/rotate", Case.FAILED, "/v1/vault/secrets/agent_1/K/rotate",
                        OWNER_KEY, null, 400, seq(change("secret.rotation.trigger", "FAILURE"))),
                row("GET /v1/vault/secrets/{identityId}/{key}/rotation/deliveries", Case.OK,
                        rotSecret + "/rotation/deliveries", OWNER_KEY, null, 200, "secret.rotation.deliveries SUCCESS"),
                row("DELETE /v1/vault/secrets/{identityId}/{key}/rotation", Case.OK, rotSecret + "/rotation", OWNER_KEY,
                        null, 200, seq(change("secret.rotation.policy", "SUCCESS"))),
                row("DELETE /v1/vault/secrets/{identityId}/{key}/rotation", Case.FAILED, rotSecret + "/rotation",
                        OWNER_KEY, null, 404, seq(change("secret.rotation.policy", "FAILURE"))),
                row("POST /v1/vault/rotation/signing-secret", Case.OK, "/v1/vault/rotation/signing-secret", OWNER_KEY,
                        null, 201, seq(change("rotation.signing-secret.rotate", "SUCCESS"))),
                row("POST /v1/vault/rotation/signing-secret", Case.DENIED, "/v1/vault/rotation/signing-secret", AGENT,
                        null, 403, seq(change("rotation.signing-secret.rotate", "DENIED"))),

                row("DELETE /v1/vault/secrets/{identityId}/{key}", Case.OK, "/v1/vault/secrets/agent_1/NEW_KEY",
                        OWNER_KEY, null, 204, seq(change("secret.delete", "SUCCESS"))),
                row("DELETE /v1/vault/secrets/{identityId}/{key}", Case.FAILED, "/v1/vault/secrets/agent_1/NEW_KEY",
                        OWNER_KEY, null, 404, seq(change("secret.delete", "FAILURE"))),
                row("DELETE /v1/vault/secrets/{identityId}/{key}", Case.DENIED, "/v1/vault/secrets/agent_1/K", AGENT,
                        null, 403, seq(change("secret.delete", "DENIED"))),

                row("GET /v1/vault/audit/logs", Case.OK, "/v1/vault/audit/logs?limit=5", OWNER_KEY, null, 200,
                        "audit.query SUCCESS"),
                row("GET /v1/vault/audit/logs", Case.DENIED, "/v1/vault/audit/logs", AGENT, null, 403,
                        "audit.query DENIED"),
                row("GET /v1/vault/audit/logs", Case.DENIED, "/v1/vault/audit/logs?organizationId=org_other", OWNER_KEY,
                        null, 403, "audit.query DENIED"),
                row("GET /v1/vault/audit/reports", Case.OK, "/v1/vault/audit/reports?format=csv", OWNER_KEY, null, 200,
                        "audit.report SUCCESS"),
                row("GET /v1/vault/audit/reports", Case.DENIED, "/v1/vault/audit/reports", AGENT, null, 403,
                        "audit.report DENIED"),
                row("POST /v1/sys/audit-hash", Case.OK, "/v1/sys/audit-hash", OWNER_KEY,
                        "{\"value\":\"10.1.2.3\",\"allVersions\":true}", 200, "audit.hash.read SUCCESS"),
                row("POST /v1/sys/audit-hash", Case.DENIED, "/v1/sys/audit-hash", AGENT, "{\"value\":\"x\"}", 403,
                        "audit.hash.read DENIED"),
                // refused while the request was parsed (issue 15): recorded, without anything of the body
                row("POST /v1/sys/audit-hash", Case.FAILED, "/v1/sys/audit-hash", OWNER_KEY, "{\"value\":", 400,
                        "audit.hash.read FAILURE"),
                row("POST /v1/sys/audit-hash", Case.FAILED, "/v1/sys/audit-hash", OWNER_KEY,
                        "{\"value\":\"x\",\"vaule\":1}", 400, "audit.hash.read FAILURE"),
                row("GET /v1/vault/audit/logs", Case.FAILED, "/v1/vault/audit/logs?limit=zero", OWNER_KEY, null, 400,
                        "audit.query FAILURE"),
                row("POST /v1/vault/secrets", Case.FAILED, "/v1/vault/secrets", OWNER_KEY, "{not json", 400,
                        "secret.create FAILURE"),
                row("PUT /v1/vault/secrets/{identityId}/{key}", Case.FAILED, "/v1/vault/secrets/agent_1/K", OWNER_KEY,
                        "{\"value\":\"v\",\"colour\":\"red\"}", 400, "secret.update FAILURE"),

                row("DELETE /v1/identities/{id}", Case.OK, "/v1/identities/agent_new", OWNER_KEY, null, 200,
                        seq(change("identity.disable", "SUCCESS"))),
                row("DELETE /v1/identities/{id}", Case.FAILED, "/v1/identities/agent_nope", OWNER_KEY, null, 404,
                        seq(change("identity.disable", "FAILURE"))),
                row("DELETE /v1/identities/{id}", Case.DENIED, "/v1/identities/agent_2", AGENT, null, 403,
                        seq(change("identity.disable", "DENIED"))),

                // admins: login, sessions, accounts and roles
                row("POST /v1/auth/login", Case.OK, "/v1/auth/login", NONE, loginBody("olivia", PASSWORD), 200,
                        seq(change("admin.login", "SUCCESS"))),
                row("POST /v1/auth/login", Case.DENIED, "/v1/auth/login", NONE, loginBody("nobody", PASSWORD), 401,
                        seq(change("admin.login", "DENIED"))),
                rowWith("POST /v1/auth/mfa", Case.OK, f -> "/v1/auth/mfa", NONE,
                        f -> TestVault.json(Map.of("challenge", f.challenge(), "code", f.recoveryCode())), 200,
                        seq(change("admin.mfa.recovery", "SUCCESS"))),
                row("POST /v1/auth/mfa", Case.DENIED, "/v1/auth/mfa", NONE,
                        "{\"challenge\":\"avc_unknown\",\"code\":\"123456\"}", 401, "admin.mfa DENIED"),
                row("POST /v1/auth/step-up", Case.DENIED, "/v1/auth/step-up", OWNER_KEY, "{\"code\":\"123456\"}", 403,
                        "admin.mfa.step_up DENIED"),
                rowWith("POST /v1/auth/step-up", Case.OK, f -> "/v1/auth/step-up", ADMIN,
                        f -> TestVault.json(Map.of("code", f.stepUpCode())), 200,
                        seq(change("admin.mfa.step_up", "SUCCESS"))),
                row("GET /v1/auth/sessions", Case.OK, "/v1/auth/sessions", ADMIN, null, 200,
                        "admin.session.list SUCCESS"),
                row("GET /v1/auth/sessions", Case.DENIED, "/v1/auth/sessions", OWNER_KEY, null, 403,
                        "admin.session.list DENIED"),
                row("DELETE /v1/auth/sessions/{id}", Case.OK, f -> "/v1/auth/sessions/" + f.otherSessionId(), ADMIN,
                        null, 204, seq(change("admin.session.revoke", "SUCCESS"))),
                row("DELETE /v1/auth/sessions/{id}", Case.FAILED, f -> "/v1/auth/sessions/" + f.otherSessionId(),
                        ADMIN, null, 404, seq(change("admin.session.revoke", "FAILURE"))),
                row("POST /v1/auth/logout", Case.OK, "/v1/auth/logout", Fixture::logoutSession, null, 204,
                        seq(change("admin.logout", "SUCCESS"))),
                row("POST /v1/auth/logout", Case.DENIED, "/v1/auth/logout", OWNER_KEY, null, 403, "admin.logout DENIED"),
                row("POST /v1/admins", Case.OK, "/v1/admins", ADMIN, adminBody("bob", "auditor"), 201,
                        seq(change("admin.create", "SUCCESS"))),
                row("POST /v1/admins", Case.FAILED, "/v1/admins", ADMIN, adminBody("bob", "auditor"), 409,
                        seq(change("admin.create", "FAILURE"))),
                row("POST /v1/admins", Case.DENIED, "/v1/admins", AGENT, adminBody("eve", "owner"), 403,
                        seq(change("admin.create", "DENIED"))),
                row("GET /v1/admins", Case.OK, "/v1/admins", OWNER_KEY, null, 200, "admin.list SUCCESS"),
                row("GET /v1/admins", Case.DENIED, "/v1/admins", AGENT, null, 403, "admin.list DENIED"),
                row("GET /v1/admins/{username}", Case.OK, "/v1/admins/bob", ADMIN, null, 200, "admin.read SUCCESS"),
                row("GET /v1/admins/{username}", Case.FAILED, "/v1/admins/nobody", OWNER_KEY, null, 404,
                        "admin.read FAILURE"),
                row("PATCH /v1/admins/{username}", Case.OK, "/v1/admins/bob", OWNER_KEY, "{\"role\":\"admin\"}", 200,
                        seq(change("admin.update", "SUCCESS"))),
                row("PATCH /v1/admins/{username}", Case.DENIED, "/v1/admins/bob", AGENT, "{\"role\":\"owner\"}", 403,
                        seq(change("admin.update", "DENIED"))),
                row("DELETE /v1/admins/{username}/mfa", Case.OK, "/v1/admins/bob/mfa", OWNER_KEY, null, 200,
                        seq(change("admin.mfa.reset", "SUCCESS"))),
                row("DELETE /v1/admins/{username}/mfa", Case.DENIED, "/v1/admins/bob/mfa", AGENT, null, 403,
                        seq(change("admin.mfa.reset", "DENIED"))),
                row("GET /v1/admin-roles", Case.OK, "/v1/admin-roles", OWNER_KEY, null, 200, "admin.role.list SUCCESS"),
                row("GET /v1/admin-roles", Case.DENIED, "/v1/admin-roles", AGENT, null, 403, "admin.role.list DENIED"),
                row("PUT /v1/admin-roles/{name}", Case.OK, "/v1/admin-roles/reader", ADMIN,
                        "{\"permissions\":[\"secrets:list\"]}", 200, seq(change("admin.role.put", "SUCCESS"))),
                row("PUT /v1/admin-roles/{name}", Case.DENIED, "/v1/admin-roles/reader", AGENT,
                        "{\"permissions\":[\"secrets:list\"]}", 403, seq(change("admin.role.put", "DENIED"))),
                // bob gets the custom role: deleting it is refused while he has it; then bob goes, then the role
                row("PATCH /v1/admins/{username}", Case.OK, "/v1/admins/bob", OWNER_KEY, "{\"role\":\"reader\"}", 200,
                        seq(change("admin.update", "SUCCESS"))),
                row("DELETE /v1/admin-roles/{name}", Case.FAILED, "/v1/admin-roles/reader", OWNER_KEY, null, 409,
                        seq(change("admin.role.delete", "FAILURE"))),
                row("DELETE /v1/admin-roles/{name}", Case.DENIED, "/v1/admin-roles/reader", AGENT, null, 403,
                        seq(change("admin.role.delete", "DENIED"))),
                row("DELETE /v1/admins/{username}", Case.DENIED, "/v1/admins/bob", AGENT, null, 403,
                        seq(change("admin.delete", "DENIED"))),
                row("DELETE /v1/admins/{username}", Case.FAILED, "/v1/admins/olivia", OWNER_KEY, null, 409,
                        seq(change("admin.delete", "FAILURE"))),
                row("DELETE /v1/admins/{username}", Case.OK, "/v1/admins/bob", OWNER_KEY, null, 204,
                        seq(change("admin.delete", "SUCCESS"))),
                row("DELETE /v1/admin-roles/{name}", Case.OK, "/v1/admin-roles/reader", OWNER_KEY, null, 204,
                        seq(change("admin.role.delete", "SUCCESS"))),

                // scoped API keys
                row("POST /v1/api-keys", Case.OK, "/v1/api-keys", OWNER_KEY,
                        "{\"name\":\"ci\",\"permissions\":[\"secrets:read\"]}", 201, seq(change("apikey.create", "SUCCESS"))),
                row("POST /v1/api-keys", Case.DENIED, "/v1/api-keys", AGENT,
                        "{\"name\":\"ci\",\"permissions\":[\"secrets:read\"]}", 403, seq(change("apikey.create", "DENIED"))),
                row("GET /v1/api-keys", Case.OK, "/v1/api-keys", OWNER_KEY, null, 200, "apikey.list SUCCESS"),
                row("GET /v1/api-keys", Case.DENIED, "/v1/api-keys", AGENT, null, 403, "apikey.list DENIED"),
                row("DELETE /v1/api-keys/{id}", Case.OK, f -> "/v1/api-keys/" + f.apiKeyId(), OWNER_KEY, null, 204,
                        seq(change("apikey.revoke", "SUCCESS"))),
                row("DELETE /v1/api-keys/{id}", Case.DENIED, f -> "/v1/api-keys/" + f.apiKeyId(), AGENT, null, 403,
                        seq(change("apikey.revoke", "DENIED"))),

                // organizations
                row("POST /v1/sys/organizations", Case.OK, "/v1/sys/organizations", OWNER_KEY, "{\"id\":\"acme\"}", 201,
                        seq(change("org.create", "SUCCESS"))),
                row("POST /v1/sys/organizations", Case.FAILED, "/v1/sys/organizations", OWNER_KEY, "{\"id\":\"acme\"}",
                        409, seq(change("org.create", "FAILURE"))),
                row("POST /v1/sys/organizations", Case.DENIED, "/v1/sys/organizations", AGENT, "{\"id\":\"evil\"}", 403,
                        seq(change("org.create", "DENIED"))),
                row("GET /v1/sys/organizations", Case.OK, "/v1/sys/organizations", OWNER_KEY, null, 200,
                        "org.list SUCCESS"),
                row("GET /v1/sys/organizations", Case.DENIED, "/v1/sys/organizations", AGENT, null, 403,
                        "org.list DENIED"),
                row("DELETE /v1/sys/organizations/{id}", Case.OK, "/v1/sys/organizations/acme", OWNER_KEY, null, 200,
                        seq(change("org.disable", "SUCCESS"))),
                row("DELETE /v1/sys/organizations/{id}", Case.DENIED, "/v1/sys/organizations/acme", AGENT, null, 403,
                        seq(change("org.disable", "DENIED"))),
                row("POST /v1/sys/organizations/{id}/enable", Case.OK, "/v1/sys/organizations/acme/enable", OWNER_KEY,
                        null, 200, seq(change("org.enable", "SUCCESS"))),
                row("POST /v1/sys/organizations/{id}/enable", Case.FAILED, "/v1/sys/organizations/nothing/enable",
                        OWNER_KEY, null, 404, seq(change("org.enable", "FAILURE"))),
                row("POST /v1/sys/organizations/{id}/enable", Case.DENIED, "/v1/sys/organizations/acme/enable", AGENT,
                        null, 403, seq(change("org.enable", "DENIED"))),

                // keys: the keyring and the root key wrapping it
                row("GET /v1/sys/keyring", Case.OK, "/v1/sys/keyring", OWNER_KEY, null, 200, "keyring.read SUCCESS"),
                row("GET /v1/sys/keyring", Case.DENIED, "/v1/sys/keyring", AGENT, null, 403, "keyring.read DENIED"),
                row("POST /v1/sys/keyring/rotate", Case.OK, "/v1/sys/keyring/rotate", OWNER_KEY, null, 200,
                        seq(change("keyring.rotate", "SUCCESS"))),
                row("POST /v1/sys/keyring/rotate", Case.DENIED, "/v1/sys/keyring/rotate", AGENT, null, 403,
                        seq(change("keyring.rotate", "DENIED"))),
                row("POST /v1/sys/keyring/rotate", Case.OK, "/v1/sys/keyring/rotate", OWNER_KEY, "{\"key\":\"audit\"}",
                        200, seq(change("keyring.rotate", "SUCCESS"))),
                row("POST /v1/sys/keyring/rotate", Case.FAILED, "/v1/sys/keyring/rotate", OWNER_KEY, "{\"key\":\"nope\"}",
                        400, "keyring.rotate FAILURE"),
                row("GET /v1/sys/root-key", Case.OK, "/v1/sys/root-key", OWNER_KEY, null, 200, "rootkey.read SUCCESS"),
                row("GET /v1/sys/root-key", Case.DENIED, "/v1/sys/root-key", AGENT, null, 403, "rootkey.read DENIED"),
                row("POST /v1/sys/root-key/rotate", Case.OK, "/v1/sys/root-key/rotate", OWNER_KEY, null, 200,
                        seq(change("rootkey.rotate", "SUCCESS"))),
                row("POST /v1/sys/root-key/rotate", Case.DENIED, "/v1/sys/root-key/rotate", AGENT, null, 403,
                        seq(change("rootkey.rotate", "DENIED"))));
    }

    private static String loginBody(String username, String password) {
        return TestVault.json(Map.of("organizationId", "default", "username", username, "password", password));
    }

    private static String adminBody(String username, String role) {
        return TestVault.json(Map.of("username", username, "password", PASSWORD, "role", role));
    }

    @Test
    void everyDocumentedOperationHasASuccessRow() throws IOException {
        JsonNode doc = TestVault.JSON.readTree(Path.of(DOCUMENT).toFile());
        Set<String> documented = new TreeSet<>();
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(op -> {
            if (Set.of("get", "put", "post", "delete", "patch").contains(op.getKey())) {
                documented.add(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey());
            }
        }));
        Set<String> covered = rows().stream().filter(r -> r.kind() == Case.OK).map(Row::operation)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> missing = new TreeSet<>(documented);
        missing.removeAll(covered);
        assertTrue(missing.isEmpty(), "documented operations without a row in AuditActionTableTest.rows() "
                + "(add one saying which audit events the operation records): " + missing);
        Set<String> stale = new TreeSet<>(covered);
        stale.removeAll(documented);
        assertTrue(stale.isEmpty(), "rows for operations the OpenAPI document does not list: " + stale);
    }

    @Test
    void everyOperationRecordsItsEvents() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpServer webhooks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhooks.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(204, -1);
            }
        });
        webhooks.start();
        // cheap Argon2id keeps the admin rows fast
        AdminConfig admin = AdminConfig.DEFAULTS.withArgon2(1024, 1, 1).withHashLimit(2, Duration.ofSeconds(5));
        try (TestVault vault = TestVault.start(tmp, c -> c.egressAllow(List.of("127.0.0.1")).admin(admin))) {
            Fixture f = setUp(vault, "http://127.0.0.1:" + webhooks.getAddress().getPort() + "/hook");
            Path auditFile = vault.dataDir().resolve("audit/audit.jsonl");
            List<String> problems = new ArrayList<>();
            int n = 0;
            for (Row r : rows()) {
                String requestId = String.format("row-%02d", n++);
                String body = r.body().apply(f) == null && r.method().equals("PATCH")
                        ? "{\"interval\":\"30d\",\"webhookUrl\":\"" + f.webhookUrl() + "\"}" : r.body().apply(f);
                HttpRequest.Builder b = HttpRequest.newBuilder(vault.uri(r.path().apply(f)))
                        .header("X-Request-Id", requestId)
                        .method(r.method(), body == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body));
                String token = r.token().apply(f);
                if (token != null) {
                    b.header("Authorization", "Bearer " + token);
                }
                if (body != null) {
                    b.header("Content-Type", "application/json");
                }
                HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                List<JsonNode> events = eventsOf(auditFile, requestId);
                List<String> actual = events.stream()
                        .map(e -> e.get("action").asText() + " " + e.get("outcome").asText()).toList();
                String where = r.operation() + " [" + r.kind() + "] " + requestId;
                if (response.statusCode() != r.status()) {
                    problems.add(where + ": status " + response.statusCode() + " (expected " + r.status() + "): "
                            + response.body());
                }
                if (!actual.equals(r.events())) {
                    problems.add(where + ": events " + actual + " (expected " + r.events() + ")");
                }
                for (JsonNode e : events) {
                    String actor = e.path("actor").asText();
                    if ((actor.startsWith("apikey:") || actor.startsWith("identity:") || actor.startsWith("admin:"))
                            && !actor.contains(":hmac:v") && !actor.contains("/hmac:v")) {
                        problems.add(where + ": the actor's token id is in clear: " + actor);
                    }
                    for (String never : List.of("10.1.2.3", "colour", "not json")) {
                        if (e.toString().contains(never)) {
                            problems.add(where + ": the event holds request content '" + never + "': " + e);
                        }
                    }
                }
                for (int i = 1; i < events.size(); i++) {
                    if (events.get(0).get("outcome").asText().equals("ATTEMPT")
                            && !events.get(0).get("id").asText().equals(events.get(i).path("details").path("attempt").asText())) {
                        problems.add(where + ": the outcome does not name its attempt in details.attempt");
                    }
                }
            }
            if (!problems.isEmpty()) {
                fail(problems.size() + " rows differ:\n" + String.join("\n", problems));
            }
        } finally {
            webhooks.stop(0);
        }
    }

    private static Fixture setUp(TestVault vault, String webhookUrl) {
        for (String id : List.of("agent_1", "agent_2")) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"" + id + "\"}").status());
        }
        assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                "key", "K", "value", "value-one-1", "type", "api_key"))).status());
        assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_2",
                "key", "K2", "value", "value-one-2", "type", "api_key"))).status());
        Response rot = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                "key", "ROT", "value", "value-rot-1", "type", "api_key")));
        assertEquals(201, rot.status(), rot.body());
        Response agent = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}");
        Response other = vault.post("/v1/identities/agent_2/tokens", OWNER, "{}");
        Response revocable = vault.post("/v1/identities/agent_2/tokens", OWNER, "{}");
        // an enrolled owner admin: its session, a second one to revoke, a third to log out, and a pending challenge
        assertEquals(201, vault.post("/v1/admins", OWNER, TestVault.json(Map.of("username", "olivia",
                "password", PASSWORD, "role", "owner"))).status());
        JsonNode enrollment = login(vault, "olivia");
        byte[] secret = Base32.decode(enrollment.path("totpSecret").asText());
        long step = Totp.step(Instant.now());
        Response enrolled = mfa(vault, enrollment.path("challenge").asText(), Totp.code(secret, step, 6));
        List<String> recovery = new ArrayList<>();
        enrolled.json().path("recoveryCodes").forEach(c -> recovery.add(c.asText()));
        String second = mfa(vault, login(vault, "olivia").path("challenge").asText(), recovery.get(1)).json()
                .path("session").asText();
        String third = mfa(vault, login(vault, "olivia").path("challenge").asText(), recovery.get(2)).json()
                .path("session").asText();
        String challenge = login(vault, "olivia").path("challenge").asText();
        Response apiKey = vault.post("/v1/api-keys", OWNER, "{\"name\":\"revocable\",\"permissions\":[\"secrets:read\"]}");
        assertEquals(201, apiKey.status(), apiKey.body());
        return new Fixture(agent.json().get("token").asText(), other.json().get("token").asText(),
                revocable.json().get("id").asText(), webhookUrl, enrolled.json().path("session").asText(),
                Totp.code(secret, step + 1, 6), second.substring(4, 20), third, challenge, recovery.get(0),
                apiKey.json().get("id").asText());
    }

    private static JsonNode login(TestVault vault, String username) {
        Response r = vault.post("/v1/auth/login", null, TestVault.json(Map.of("organizationId", "default",
                "username", username, "password", PASSWORD)));
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    private static Response mfa(TestVault vault, String challenge, String code) {
        Response r = vault.post("/v1/auth/mfa", null, TestVault.json(Map.of("challenge", challenge, "code", code)));
        assertEquals(200, r.status(), r.body());
        return r;
    }

    private static List<JsonNode> eventsOf(Path auditFile, String requestId) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(auditFile)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode e = TestVault.JSON.readTree(line);
            if (requestId.equals(e.path("requestId").asText(null))) {
                out.add(e);
            }
        }
        return out;
    }
}
