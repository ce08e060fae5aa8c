package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.rotation.RotationService;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Rotation endpoints: {@code PATCH|DELETE /v1/vault/secrets/{identityId}/{key}/rotation} (the policy alone),
 * {@code POST .../rotate} (rotate now), {@code GET .../rotation/deliveries} (routed from
 * {@link SecretsApi#get}), and {@code POST /v1/vault/rotation/signing-secret} (a new webhook signing secret
 * for the organization, shown once).
 */
final class RotationApi implements HttpService {
    static final String DELIVERIES_SUFFIX = "/rotation/deliveries";
    private final Api api;
    private final RotationService rotation;

    RotationApi(Api api, RotationService rotation) {
        this.api = api;
        this.rotation = rotation;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.patch("/{identityId}/{key}/rotation", this::patch)
                .delete("/{identityId}/{key}/rotation", this::delete)
                .post("/{identityId}/{key}/rotate", this::rotate);
    }

    /** Routes of {@code /v1/vault/rotation}. */
    HttpService organizationService() {
        return rules -> rules.post("/signing-secret", this::signingSecret);
    }

    /** A {@code rotation} object of string fields, as sent (validated by the rotation package). */
    static Optional<Map<String, String>> policyFields(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isObject()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "' must be an object such as "
                    + "{\"interval\":\"30d\",\"webhookUrl\":\"https://...\"}");
        }
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "." + Json.wellFormed(
                        e.getKey().length() > 64 ? e.getKey().substring(0, 64) : e.getKey(), field)
                        + "' must be a string");
            }
            out.put(Json.wellFormed(e.getKey(), field), Json.wellFormed(e.getValue().textValue(), field));
        });
        return Optional.of(out);
    }

    private void patch(ServerRequest req, ServerResponse res) {
        String identityId = Api.pathParam(req, "identityId");
        String key = Api.pathParam(req, "key");
        RequestContext ctx = api.authenticate(req, "secret.rotation.policy", identityId, key);
        JsonNode body = Json.object(api.body(req));
        Map<String, String> fields = policyFields(Json.MAPPER.createObjectNode().set("rotation", body), "rotation")
                .orElseThrow();
        Api.send(res, 200, Views.secretMetadata(rotation.patchPolicy(ctx, identityId, key, fields)));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String identityId = Api.pathParam(req, "identityId");
        String key = Api.pathParam(req, "key");
        RequestContext ctx = api.authenticate(req, "secret.rotation.policy", identityId, key);
        Api.send(res, 200, Views.secretMetadata(rotation.deletePolicy(ctx, identityId, key)));
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        String identityId = Api.pathParam(req, "identityId");
        String key = Api.pathParam(req, "key");
        RequestContext ctx = api.authenticate(req, "secret.rotation.trigger", identityId, key);
        Api.send(res, 202, Views.secretMetadata(rotation.rotateNow(ctx, identityId, key)));
    }

    /** {@code GET /v1/vault/secrets/{identityId}/{key}/rotation/deliveries}; {@code idAndKey} is "id/key". */
    void deliveries(ServerRequest req, ServerResponse res, String idAndKey) {
        int slash = idAndKey.indexOf('/');
        if (slash <= 0 || slash == idAndKey.length() - 1 || idAndKey.indexOf('/', slash + 1) >= 0) {
            throw new VaultException(ErrorCode.NOT_FOUND, "no endpoint GET " + req.path().absolute().rawPath());
        }
        String identityId = idAndKey.substring(0, slash);
        String key = idAndKey.substring(slash + 1);
        RequestContext ctx = api.authenticate(req, "secret.rotation.deliveries", identityId, key);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", rotation.deliveries(ctx, identityId, key));
        Api.send(res, 200, m);
    }

    private void signingSecret(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "rotation.signing-secret.rotate", null, null);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("secret", rotation.rotateSigningSecret(ctx));
        m.put("note", "shown once; receivers verify webhook-signature with it (Standard Webhooks)");
        Api.send(res, 201, m);
    }
}
