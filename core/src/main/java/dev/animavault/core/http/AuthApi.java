package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.admin.AdminLogin;
import dev.animavault.core.admin.AdminSessions;
import dev.animavault.core.service.RequestContext;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /v1/auth}: the admins' login ({@code POST /login} with the password, then {@code POST /mfa} with
 * a TOTP or recovery code, giving an {@code avs_} session token), step-up ({@code POST /step-up}), logout,
 * and one's own sessions ({@code GET /sessions}, {@code DELETE /sessions/{id}}).
 */
final class AuthApi implements HttpService {
    private final Api api;

    AuthApi(Api api) {
        this.api = api;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/login", this::login)
                .post("/mfa", this::mfa)
                .post("/step-up", this::stepUp)
                .post("/logout", this::logout)
                .get("/sessions", this::sessions)
                .delete("/sessions/{id}", this::revoke);
    }

    private void login(ServerRequest req, ServerResponse res) {
        String address = api.clientAddress(req);
        // a locked address or a full verification queue is refused before the body is read or parsed
        api.admins().login().admit(Api.requestId(), address);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "organizationId", "username", "password");
        String org = Json.requiredString(body, "organizationId");
        String username = Json.requiredString(body, "username");
        char[] password = Json.requiredString(body, "password").toCharArray();
        AdminLogin.LoginResult r;
        try {
            r = api.admins().login().login(org, username, password, Api.requestId(), address);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
        Map<String, Object> m = new LinkedHashMap<>();
        if (r.session() != null) {
            m.put("next", "session");
            m.put("session", r.session());
            m.put("expiresAt", r.sessionExpiresAt().toString());
        } else {
            m.put("next", r.enrollment() ? "enroll" : "mfa");
            m.put("challenge", r.challenge());
            m.put("expiresAt", r.expiresAt().toString());
            if (r.enrollment()) {
                m.put("otpauthUri", r.otpauthUri());
                m.put("totpSecret", r.totpSecret());
                m.put("note", "add the secret to an authenticator app, then POST /v1/auth/mfa with the challenge and "
                        + "the code it shows");
            }
        }
        Api.send(res, 200, m);
    }

    private void mfa(ServerRequest req, ServerResponse res) {
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "challenge", "code");
        AdminLogin.SessionResult r = api.admins().login().mfa(Json.requiredString(body, "challenge"),
                Json.requiredString(body, "code"), Api.requestId(), api.clientAddress(req));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("session", r.session());
        m.put("expiresAt", r.expiresAt().toString());
        m.put("idleTimeoutSeconds", r.idleTimeout().toSeconds());
        m.put("username", r.username());
        m.put("role", r.role());
        if (!r.recoveryCodes().isEmpty()) {
            m.put("recoveryCodes", r.recoveryCodes());
            m.put("note", "recovery codes are shown once; each works once in place of a TOTP code");
        }
        Api.send(res, 200, m);
    }

    private void stepUp(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.mfa.step_up", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "code");
        Instant at = api.admins().login().stepUp(ctx, Json.requiredString(body, "code"));
        Api.send(res, 200, Map.of("mfaAt", at.toString()));
    }

    private void logout(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.logout", null, null);
        api.admins().service().logout(ctx);
        Api.noContent(res);
    }

    private void sessions(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.session.list", null, null);
        List<AdminSessions.Session> list = api.admins().service().ownSessions(ctx);
        Api.send(res, 200, Map.of("items", list.stream().map(s -> session(s, ctx)).toList()));
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.session.revoke", null, null);
        api.admins().service().revokeOwn(ctx, Api.pathParam(req, "id"));
        Api.noContent(res);
    }

    private static Map<String, Object> session(AdminSessions.Session s, RequestContext ctx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("current", s.id().equals(ctx.principal().tokenId()));
        m.put("createdAt", s.createdAt().toString());
        m.put("lastSeenAt", s.lastSeenAt().toString());
        m.put("expiresAt", s.expiresAt().toString());
        m.put("mfaAt", s.mfaAt() == null ? null : s.mfaAt().toString());
        m.put("address", s.address());
        return m;
    }
}
