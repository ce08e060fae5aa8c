package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.keys.KeyringService;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.Durations;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/sys/keyring} (permission {@code sys:read}; audited {@code keyring.read}): data keys with
 * their encryption counts, token key versions, limits and the re-encryption job's progress.
 * {@code POST /v1/sys/keyring/rotate} (permission {@code keys:rotate}; audited {@code keyring.rotate}):
 * body optional, {@code {"key":"data"}} (default), {@code {"key":"token","retireOldAfter":"7d"}} or
 * {@code {"key":"audit"}} (a new audit HMAC key version; earlier versions are kept).
 */
final class KeyringApi implements HttpService {
    private static final Set<String> FIELDS = Set.of("key", "retireOldAfter");
    private final Api api;
    private final KeyringService keyring;

    KeyringApi(Api api, KeyringService keyring) {
        this.api = api;
        this.keyring = keyring;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::status).post("/rotate", this::rotate);
    }

    private void status(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "keyring.read", null, null);
        Api.send(res, 200, api.service().systemOperation(ctx, "keyring.read", Permission.SYS_READ, keyring::status));
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "keyring.rotate", null, null);
        byte[] raw = api.body(req);
        KeyringService.Which which = KeyringService.Which.DATA;
        Duration retire = null;
        if (raw.length > 0) {
            JsonNode body = Json.object(raw);
            body.fieldNames().forEachRemaining(f -> {
                if (!FIELDS.contains(f)) {
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "unknown field '" + Json.wellFormed(
                            f.length() > 64 ? f.substring(0, 64) : f, "body") + "'; known fields: key, retireOldAfter");
                }
            });
            JsonNode key = body.get("key");
            if (key != null && !key.isNull()) {
                String k = key.isTextual() ? key.textValue().toLowerCase(Locale.ROOT) : "";
                which = switch (k) {
                    case "data" -> KeyringService.Which.DATA;
                    case "token" -> KeyringService.Which.TOKEN;
                    case "audit" -> KeyringService.Which.AUDIT;
                    default -> throw new VaultException(ErrorCode.INVALID_ARGUMENT,
                            "field 'key' must be \"data\", \"token\" or \"audit\"");
                };
            }
            JsonNode after = body.get("retireOldAfter");
            if (after != null && !after.isNull()) {
                if (!after.isTextual()) {
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'retireOldAfter' must be a duration "
                            + "such as \"7d\"");
                }
                if (which != KeyringService.Which.TOKEN) {
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'retireOldAfter' applies to "
                            + "{\"key\":\"token\"} only (old data keys stay until nothing references them)");
                }
                try {
                    retire = after.textValue().equals("0s") ? Duration.ZERO : Durations.parse(after.textValue());
                } catch (IllegalArgumentException e) {
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'retireOldAfter' is not a duration "
                            + "such as \"7d\"");
                }
            }
        }
        KeyringService.Which w = which;
        Duration r = retire;
        KeyringService.Rotated done = api.service().systemOperation(ctx, "keyring.rotate", Permission.KEYS_ROTATE,
                () -> {
                    api.admins().sessions().requireRecentMfa(ctx.principal()); // a sensitive operation (issue 13)
                    return keyring.rotate(w, r);
                });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", done.which().name().toLowerCase(Locale.ROOT));
        out.put("activeKey", done.activeKey());
        out.put("activeTokenKey", done.activeTokenKey());
        if (done.which() == KeyringService.Which.AUDIT) {
            out.put("activeAuditKey", keyring.auditKeyVersion());
        }
        if (done.retireOldAt() != null) {
            out.put("retireOldAt", done.retireOldAt().toString());
        }
        Api.send(res, 200, out);
    }
}
