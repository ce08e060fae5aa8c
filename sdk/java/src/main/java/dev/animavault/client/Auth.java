package dev.animavault.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /v1/auth}: an admin's login. {@link #login} sends the password and answers what comes next: a
 * challenge for a TOTP or recovery code ({@code mfa}), a challenge with an {@code otpauth://} URI to enroll
 * TOTP first ({@code enroll}), or a session at once when the vault does not require MFA ({@code session});
 * {@link #mfa} completes it with a code. The session token ({@code avs_...}) is then used like an API key.
 * Neither call is retried (each attempt counts against the login throttle). Thread-safe.
 */
public final class Auth {
    private final Transport t;

    Auth(Transport t) {
        this.t = t;
    }

    /** What the password step answered; {@code next} is {@code mfa}, {@code enroll} or {@code session}. */
    public record LoginStep(String next, String challenge, String expiresAt, String otpauthUri, String totpSecret,
                            String session) {
        @Override
        public String toString() {
            return "LoginStep[next=" + next + ", <masked>]";
        }
    }

    /** A session, with the recovery codes after an enrollment (shown once). */
    public record AdminSession(String session, String expiresAt, String username, String role,
                               List<String> recoveryCodes) {
        @Override
        public String toString() {
            return "AdminSession[" + username + ", role=" + role + ", <masked>]";
        }
    }

    /** {@code POST /v1/auth/login}. */
    public LoginStep login(String organizationId, String username, char[] password) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("organizationId", organizationId);
        body.put("username", username);
        body.put("password", new String(password));
        return t.send(Transport.post("/v1/auth/login").anonymous().idempotent(false).body(body), n -> new LoginStep(
                text(n, "next"), text(n, "challenge"), text(n, "expiresAt"), text(n, "otpauthUri"), text(n, "totpSecret"),
                text(n, "session")));
    }

    /** {@code POST /v1/auth/mfa}: a TOTP code (6 digits) or a recovery code. */
    public AdminSession mfa(String challenge, String code) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("challenge", challenge);
        body.put("code", code);
        return t.send(Transport.post("/v1/auth/mfa").anonymous().idempotent(false).body(body), n -> {
            List<String> codes = new ArrayList<>();
            n.path("recoveryCodes").forEach(c -> codes.add(c.asText()));
            return new AdminSession(text(n, "session"), text(n, "expiresAt"), text(n, "username"), text(n, "role"),
                    List.copyOf(codes));
        });
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
