package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.auth.ApiKeyRecords;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.Durations;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Timestamps;
import dev.animavault.spi.VaultException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /v1/api-keys}: scoped organization API keys ({@code tokens:write}). {@code POST /} creates one
 * ({@code {name, permissions: [...], ttl?, identityId?}}; the key is in the answer, shown once),
 * {@code GET /} lists them (never a key), {@code DELETE /{id}} revokes one.
 */
final class ApiKeysApi implements HttpService {
    private final Api api;

    ApiKeysApi(Api api, Clock clock) {
        this.api = api;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
                .get("/", this::list)
                .delete("/{id}", this::revoke);
    }

    private void create(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "apikey.create", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "name", "permissions", "ttl", "identityId");
        String name = Json.optionalString(body, "name").orElse("");
        Set<String> permissions = Json.optionalStringSet(body, "permissions").orElseThrow(() -> new VaultException(
                ErrorCode.INVALID_ARGUMENT, "field 'permissions' is required: a list of permission names such as "
                + "\"secrets:read\""));
        Optional<Duration> ttl = Json.optionalString(body, "ttl").map(t -> {
            try {
                return Durations.parse(t);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'ttl' must be a duration such as 1h or 30d");
            }
        });
        TokenService.Issued issued = api.service().apiKeys().create(ctx, name, permissions, ttl,
                Json.optionalString(body, "identityId"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", issued.principal().tokenId());
        m.put("token", issued.token());
        m.put("organizationId", issued.principal().organizationId());
        m.put("name", issued.name() == null ? "" : issued.name());
        m.put("permissions", issued.principal().permissions().stream().map(Permission::wire).sorted().toList());
        m.put("identityId", issued.principal().identityId());
        m.put("createdAt", Timestamps.iso(issued.createdAt()));
        m.put("expiresAt", issued.principal().expiresAt() == null ? null
                : Timestamps.iso(issued.principal().expiresAt()));
        Api.send(res, 201, m);
    }

    private void list(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "apikey.list", null, null);
        Api.send(res, 200, Map.of("items", api.service().apiKeys().list(ctx).stream().map(ApiKeysApi::view).toList()));
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "apikey.revoke", null, null);
        api.service().apiKeys().revoke(ctx, Api.pathParam(req, "id"));
        Api.noContent(res);
    }

    static Map<String, Object> view(ApiKeyRecords.ApiKeyInfo k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("name", k.name());
        m.put("permissions", k.permissions().stream().map(Permission::wire).sorted().toList());
        m.put("identityId", k.identityId());
        m.put("createdAt", k.createdAt() == null ? null : Timestamps.iso(k.createdAt()));
        m.put("expiresAt", k.expiresAt() == null ? null : Timestamps.iso(k.expiresAt()));
        return m;
    }
}
