package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.service.RequestContext;
import dev.animavault.core.service.SecretLifecycle;
import dev.animavault.core.service.SecretReadService;
import dev.animavault.core.service.SecretWriteService;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.OptionalInt;

/** {@code /v1/vault/secrets}: identity-scoped secrets. */
final class SecretsApi implements HttpService {
    /** Where the API is mounted. */
    static final String MOUNT = "/v1/vault/secrets";
    private static final String PREFIX = MOUNT + "/";
    private final Api api;
    private final RotationApi rotationApi;
    private final SecretReadService reads;
    private final SecretWriteService writes;

    SecretsApi(Api api, RotationApi rotationApi) {
        this.api = api;
        this.rotationApi = rotationApi;
        this.reads = api.service().secretReads();
        this.writes = api.service().secretWrites();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
                .put("/{identityId}/{key}", this::update)
                .delete("/{identityId}/{key}", this::delete);
    }

    private void create(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "secret.create", null, null);
        byte[] raw = api.body(req);
        CreateBody common = CreateBody.read(raw);
        if (common != null) {
            // the usual body (a value, no rotation or generate) read without a tree; the same checks follow
            SecretValue value = SecretValue.ofUtf8(common.value());
            try {
                Api.sendJson(res, 201, Views.secretMetadataJson(writes.createSecret(ctx, common.identityId(),
                        common.key(), value, common.type(), common.metadata(),
                        new SecretLifecycle.Request(java.util.Optional.empty(),
                                java.util.Optional.ofNullable(common.expiresAt())))));
            } finally {
                value.wipe();
            }
            return;
        }
        JsonNode body = Json.object(raw);
        Json.onlyFields(body, "identityId", "key", "value", "type", "metadata", "rotation", "expiresAt", "generate");
        String identityId = Json.requiredString(body, "identityId");
        String key = Json.requiredString(body, "key");
        String type = Json.optionalString(body, "type").orElse(null); // omitted: vault.default-credential-type
        Map<String, String> metadata = Json.optionalStringMap(body, "metadata").orElse(Map.of());
        // either a value or, for types that generate (password, api_key), "generate": {policy}; the response
        // never shows a generated value: the caller reads it like any other (GET .../{identityId}/{key})
        java.util.Optional<Map<String, String>> generate = Json.optionalPolicy(body, "generate");
        if (generate.isPresent() == (body.hasNonNull("value"))) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "give exactly one of 'value' and 'generate'");
        }
        SecretValue value = generate.isPresent() ? writes.generateValue(type, generate.get())
                : SecretValue.ofUtf8(Json.requiredString(body, "value"));
        try {
            Api.sendJson(res, 201, Views.secretMetadataJson(writes.createSecret(ctx, identityId, key, value, type,
                    metadata, lifecycle(body))));
        } finally {
            value.wipe();
        }
    }

    private void update(ServerRequest req, ServerResponse res) {
        String identityId = Api.pathParam(req, "identityId");
        String key = Api.pathParam(req, "key");
        RequestContext ctx = api.authenticate(req, "secret.update", identityId, key);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "value", "type", "metadata", "rotation", "expiresAt");
        SecretValue value = SecretValue.ofUtf8(Json.requiredString(body, "value"));
        try {
            Api.sendJson(res, 200, Views.secretMetadataJson(writes.putSecret(ctx, identityId, key, value,
                    Json.optionalString(body, "type"), Json.optionalStringMap(body, "metadata"), lifecycle(body))));
        } finally {
            value.wipe();
        }
    }

    /** The {@code rotation} and {@code expiresAt} members of a create or PUT (see RotationApi for the rest). */
    private static SecretLifecycle.Request lifecycle(JsonNode body) {
        return new SecretLifecycle.Request(RotationApi.policyFields(body, "rotation"),
                Json.optionalString(body, "expiresAt"));
    }

    /**
     * {@code GET /v1/vault/secrets/{identityId}[/{key}]}: the agents' hot path. Routed by a plain prefix
     * and split here, because Helidon's path-template matching (regex and parameter maps) cost more than
     * the rest of a secret read's routing.
     */
    void get(ServerRequest req, ServerResponse res) {
        // the raw (undecoded) path: an encoded '/' (%2F) must not split segments; names never need encoding
        String path = req.path().absolute().rawPath();
        int start = PREFIX.length();
        if (path.length() <= start || path.charAt(start - 1) != '/') {
            throw new VaultException(ErrorCode.NOT_FOUND, "no endpoint GET " + path);
        }
        int slash = path.indexOf('/', start);
        if (slash < 0) {
            list(req, res, path.substring(start));
        } else if (slash > start && slash < path.length() - 1 && path.indexOf('/', slash + 1) < 0) {
            read(req, res, path.substring(start, slash), path.substring(slash + 1));
        } else if (path.endsWith(RotationApi.DELIVERIES_SUFFIX) && rotationApi != null) {
            rotationApi.deliveries(req, res, path.substring(start, path.length() - RotationApi.DELIVERIES_SUFFIX.length()));
        } else {
            throw new VaultException(ErrorCode.NOT_FOUND, "no endpoint GET " + path);
        }
    }

    private void read(ServerRequest req, ServerResponse res, String identityId, String key) {
        RequestContext ctx = api.authenticate(req, "secret.read", identityId, key);
        // most reads carry no query: skip Helidon's query lookup (it costs more than the check)
        OptionalInt version = req.query().isEmpty() ? OptionalInt.empty() : version(req);
        boolean storedForm = !req.query().isEmpty() && storedForm(req);
        SecretReadService.SecretRead read = reads.readSecret(ctx, identityId, key, version, storedForm);
        byte[] json = null;
        try {
            json = Views.secretJson(read);
            Api.sendJson(res, 200, json); // written to the connection when it returns
        } finally {
            read.value().wipe();
            if (json != null) {
                java.util.Arrays.fill(json, (byte) 0);
            }
        }
    }

    /** {@code ?form=stored}: the value as stored, not materialized (organization keys only). */
    private static boolean storedForm(ServerRequest req) {
        return req.query().first("form").asOptional().map(f -> switch (f) {
            case "stored" -> true;
            case "value" -> false;
            default -> throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter 'form' must be 'value' "
                    + "or 'stored'");
        }).orElse(false);
    }

    private static OptionalInt version(ServerRequest req) {
        return req.query().first("version").asOptional().map(v -> {
            try {
                int n = Integer.parseInt(v);
                if (n < 1) {
                    throw new NumberFormatException();
                }
                return OptionalInt.of(n);
            } catch (NumberFormatException e) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter 'version' must be a positive "
                        + "integer");
            }
        }).orElse(OptionalInt.empty());
    }

    private void list(ServerRequest req, ServerResponse res, String identityId) {
        RequestContext ctx = api.authenticate(req, "secret.list", identityId, null);
        Api.sendJson(res, 200, PageJson.secrets(reads.listSecrets(ctx, identityId, Api.page(req, 100))));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String identityId = Api.pathParam(req, "identityId");
        String key = Api.pathParam(req, "key");
        RequestContext ctx = api.authenticate(req, "secret.delete", identityId, key);
        writes.deleteSecret(ctx, identityId, key);
        Api.noContent(res);
    }
}
