package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.audit.SensitiveFields;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/sys/audit-hash} (permission {@code audit:read}; audited {@code audit.hash.read} without the
 * value): body {@code {"value":"...", "allVersions":false}}; answers the value's HMAC under the active audit
 * key version ({@code hmac}) and, with {@code allVersions}, under every version the keyring holds
 * ({@code versions}, newest first), so an auditor can search the trail for a known token id or client
 * address. When the value is an actor ({@code identity:agent_1/tok_...}), {@code actor} gives it as events
 * record it, ready for the audit query's {@code actor} filter.
 */
final class AuditHashApi implements HttpService {
    /** Where the API is mounted. */
    static final String MOUNT = "/v1/sys/audit-hash";
    private static final int MAX_VALUE = 1024;
    private final Api api;

    AuditHashApi(Api api) {
        this.api = api;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::hash);
    }

    private void hash(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "audit.hash.read", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "value", "allVersions");
        String value = Json.requiredString(body, "value");
        if (value.isEmpty() || value.length() > MAX_VALUE) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'value' must hold 1 to " + MAX_VALUE
                    + " characters");
        }
        JsonNode all = body.get("allVersions");
        if (all != null && !all.isNull() && !all.isBoolean()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'allVersions' must be true or false");
        }
        boolean allVersions = all != null && all.asBoolean();
        Map<String, Object> out = api.service().auditQueries().organizationRead(ctx, "audit.hash.read",
                Permission.AUDIT_READ, () -> answer(fields(), value, allVersions));
        Api.send(res, 200, out);
    }

    private SensitiveFields fields() {
        SensitiveFields f = api.service().operationAudit().broker().sensitiveFields();
        if (f == null) {
            throw new VaultException(ErrorCode.UNAVAILABLE, "this node records audit fields in clear");
        }
        return f;
    }

    private static Map<String, Object> answer(SensitiveFields f, String value, boolean allVersions) {
        int active = f.activeVersion();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("activeVersion", active);
        out.put("hmac", f.hash(value));
        String actor = f.hashActor(value, active);
        if (!actor.equals(value)) {
            out.put("actor", actor);
        }
        if (allVersions) {
            List<Map<String, Object>> versions = new ArrayList<>();
            List<String> hmacs = f.hashAll(value);
            List<String> actors = f.actorForms(value);
            for (int i = 0; i < hmacs.size(); i++) {
                Map<String, Object> v = new LinkedHashMap<>();
                String h = hmacs.get(i);
                v.put("version", Integer.parseInt(h.substring(SensitiveFields.PREFIX.length(), h.indexOf(':', 6))));
                v.put("hmac", h);
                if (!actors.get(i).equals(value)) {
                    v.put("actor", actors.get(i));
                }
                versions.add(v);
            }
            out.put("versions", versions);
        }
        return out;
    }
}
