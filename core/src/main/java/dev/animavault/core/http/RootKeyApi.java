package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.rootkey.RootKeyService;
import dev.animavault.core.service.RequestContext;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /v1/sys/root-key} (issue 14): {@code GET} what wraps the keyring ({@code sys:read}), and
 * {@code POST /rotate} to re-wrap it under a new root key ({@code keys:rotate}); an optional body
 * {@code {"type": "...", "config": {...}}} names another provider to migrate to.
 */
final class RootKeyApi implements HttpService {
    static final String MOUNT = "/v1/sys/root-key";
    private final Api api;
    private final RootKeyService rootKeys;

    RootKeyApi(Api api, RootKeyService rootKeys) {
        this.api = api;
        this.rootKeys = rootKeys;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::status).post("/rotate", this::rotate);
    }

    private void status(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "rootkey.read", null, null);
        Api.send(res, 200, rootKeys.status(ctx));
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "rootkey.rotate", null, null);
        byte[] body = api.body(req);
        Optional<ProviderSpec> target = Optional.empty();
        if (body.length > 0) {
            JsonNode json = Json.object(body);
            Json.onlyFields(json, "type", "config");
            Optional<String> type = Json.optionalString(json, "type");
            Map<String, String> config = Json.optionalStringMap(json, "config").orElse(Map.of());
            if (type.isEmpty() && !config.isEmpty()) {
                throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.INVALID_ARGUMENT,
                        "field 'config' needs 'type'");
            }
            target = type.map(t -> new ProviderSpec(t, config));
        }
        Api.send(res, 200, rootKeys.rotate(ctx, target));
    }
}
