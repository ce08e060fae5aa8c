package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.Durations;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code /v1/identities}: agent identities and their tokens. */
final class IdentitiesApi implements HttpService {
    private final Api api;
    private final Clock clock;

    IdentitiesApi(Api api, Clock clock) {
        this.api = api;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
                .get("/", this::list)
                .get("/{id}", this::get)
                .delete("/{id}", this::disable)
                .post("/{id}/tokens", this::issueToken)
                .get("/{id}/tokens", this::listTokens)
                .delete("/{id}/tokens/{tokenId}", this::revokeToken);
    }

    private void create(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "identity.create", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "id", "name", "metadata");
        String id = Json.requiredString(body, "id");
        String name = Json.optionalString(body, "name").orElse(id);
        Map<String, String> metadata = Json.optionalStringMap(body, "metadata").orElse(Map.of());
        Api.send(res, 201, Views.identity(api.service().identities().createIdentity(ctx, id, name, metadata)));
    }

    private void list(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "identity.list", null, null);
        Api.sendJson(res, 200, PageJson.identities(api.service().identities().listIdentities(ctx, Api.page(req, 100))));
    }

    private void get(ServerRequest req, ServerResponse res) {
        String id = Api.pathParam(req, "id");
        RequestContext ctx = api.authenticate(req, "identity.read", id, null);
        Api.send(res, 200, Views.identity(api.service().identities().getIdentity(ctx, id)));
    }

    private void disable(ServerRequest req, ServerResponse res) {
        String id = Api.pathParam(req, "id");
        RequestContext ctx = api.authenticate(req, "identity.disable", id, null);
        Api.send(res, 200, Views.identity(api.service().identities().disableIdentity(ctx, id)));
    }

    private void issueToken(ServerRequest req, ServerResponse res) {
        String id = Api.pathParam(req, "id");
        RequestContext ctx = api.authenticate(req, "token.issue", id, null);
        byte[] raw = api.body(req);
        JsonNode body = raw.length == 0 ? Json.MAPPER.createObjectNode() : Json.object(raw);
        Json.onlyFields(body, "name", "keys", "ttl");
        String name = Json.optionalString(body, "name").orElse("");
        Optional<Set<String>> keys = Json.optionalStringSet(body, "keys");
        Optional<Duration> ttl = Json.optionalString(body, "ttl").map(t -> {
            try {
                return Durations.parse(t);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field 'ttl' must be a duration such as 1h or 30d");
            }
        });
        Api.send(res, 201, Views.issuedToken(api.service().tokens().issueIdentityToken(ctx, id, name, keys, ttl)));
    }

    private void listTokens(ServerRequest req, ServerResponse res) {
        String id = Api.pathParam(req, "id");
        RequestContext ctx = api.authenticate(req, "token.list", id, null);
        Api.send(res, 200, Map.of("items", api.service().tokens().listIdentityTokens(ctx, id).stream()
                .map(Views::tokenInfo).toList()));
    }

    private void revokeToken(ServerRequest req, ServerResponse res) {
        String id = Api.pathParam(req, "id");
        RequestContext ctx = api.authenticate(req, "token.revoke", id, null);
        api.service().tokens().revokeIdentityToken(ctx, id, Api.pathParam(req, "tokenId"));
        Api.noContent(res);
    }
}
