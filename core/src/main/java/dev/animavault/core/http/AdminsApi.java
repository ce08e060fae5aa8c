package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.admin.AdminService;
import dev.animavault.core.admin.AdminStore;
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
import java.util.Optional;

/**
 * {@code /v1/admins}: the organization's admin accounts (create, list, read, change role, disable or
 * password, reset MFA), and {@code /v1/admin-roles} ({@link #rolesService()}): custom roles as named
 * permission sets.
 */
final class AdminsApi implements HttpService {
    private final Api api;

    AdminsApi(Api api) {
        this.api = api;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
                .get("/", this::list)
                .get("/{username}", this::get)
                .patch("/{username}", this::update)
                .delete("/{username}", this::delete)
                .delete("/{username}/mfa", this::resetMfa);
    }

    /** Routes of {@code /v1/admin-roles}. */
    HttpService rolesService() {
        return rules -> rules.get("/", this::roles).put("/{name}", this::putRole).delete("/{name}", this::deleteRole);
    }

    private AdminService admins() {
        return api.admins().service();
    }

    private void create(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.create", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "username", "password", "role");
        char[] password = Json.requiredString(body, "password").toCharArray();
        try {
            Api.send(res, 201, view(admins().create(ctx, Json.requiredString(body, "username"), password,
                    Json.requiredString(body, "role"))));
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    private void delete(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.delete", null, null);
        admins().delete(ctx, Api.pathParam(req, "username"));
        Api.noContent(res);
    }

    private void deleteRole(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.role.delete", null, null);
        admins().deleteRole(ctx, Api.pathParam(req, "name"));
        Api.noContent(res);
    }

    private void list(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.list", null, null);
        Api.send(res, 200, Map.of("items", admins().list(ctx).stream().map(AdminsApi::view).toList()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.read", null, null);
        Api.send(res, 200, view(admins().get(ctx, Api.pathParam(req, "username"))));
    }

    private void update(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.update", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "role", "disabled", "password");
        Optional<Boolean> disabled = Optional.empty();
        JsonNode d = body.get("disabled");
        if (d != null && !d.isNull()) {
            if (!d.isBoolean()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'disabled' must be true or false");
            }
            disabled = Optional.of(d.booleanValue());
        }
        Optional<char[]> password = Json.optionalString(body, "password").map(String::toCharArray);
        try {
            Api.send(res, 200, view(admins().update(ctx, Api.pathParam(req, "username"),
                    Json.optionalString(body, "role"), disabled, password)));
        } finally {
            password.ifPresent(p -> java.util.Arrays.fill(p, '\0'));
        }
    }

    private void resetMfa(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.mfa.reset", null, null);
        Api.send(res, 200, view(admins().resetMfa(ctx, Api.pathParam(req, "username"))));
    }

    private void roles(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.role.list", null, null);
        Api.send(res, 200, Map.of("items", admins().roles(ctx).stream().map(AdminsApi::role).toList()));
    }

    private void putRole(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "admin.role.put", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "permissions");
        List<String> perms = new ArrayList<>(Json.optionalStringSet(body, "permissions").orElseThrow(
                () -> new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'permissions' is required, e.g. "
                        + "[\"audit:read\",\"reports:read\"]")));
        Api.send(res, 200, role(admins().putRole(ctx, Api.pathParam(req, "name"), perms)));
    }

    private static Map<String, Object> view(AdminService.AdminView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("organizationId", v.organizationId());
        m.put("username", v.username());
        m.put("role", v.role());
        m.put("permissions", v.permissions());
        m.put("disabled", v.disabled());
        m.put("mfaEnrolled", v.mfaEnrolled());
        m.put("recoveryCodesLeft", v.recoveryCodesLeft());
        m.put("lockedUntil", v.lockedUntil() == null ? null : v.lockedUntil().toString());
        m.put("createdAt", v.createdAt().toString());
        m.put("updatedAt", v.updatedAt().toString());
        return m;
    }

    private static Map<String, Object> role(AdminStore.CustomRole r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("permissions", r.permissions().stream().map(Permission::wire).sorted().toList());
        m.put("updatedAt", r.updatedAt().toString());
        return m;
    }
}
