package dev.animavault.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.service.OrganizationService;
import dev.animavault.core.service.Organizations;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.Timestamps;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /v1/sys/organizations}: the instance owner's organizations ({@code orgs:write}).
 * {@code POST /} ({@code {id, name?}}) creates one with its owner API key (in the answer, shown once),
 * {@code GET /} lists them, {@code DELETE /{id}} disables one (its tokens stop working; its data stays),
 * {@code POST /{id}/enable} enables it again.
 */
final class OrganizationsApi implements HttpService {
    private final Api api;
    private final OrganizationService organizations;

    OrganizationsApi(Api api, OrganizationService organizations) {
        this.api = api;
        this.organizations = organizations;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
                .get("/", this::list)
                .delete("/{id}", this::disable)
                .post("/{id}/enable", this::enable);
    }

    private void create(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "org.create", null, null);
        JsonNode body = Json.object(api.body(req));
        Json.onlyFields(body, "id", "name");
        String id = Json.requiredString(body, "id");
        OrganizationService.Created created = organizations.create(ctx, id,
                Json.optionalString(body, "name").orElse(id));
        Map<String, Object> m = view(created.organization());
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("id", created.ownerKey().principal().tokenId());
        key.put("token", created.ownerKey().token());
        key.put("permissions", created.ownerKey().principal().permissions().stream().map(Permission::wire).sorted()
                .toList());
        m.put("ownerKey", key);
        Api.send(res, 201, m);
    }

    private void list(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "org.list", null, null);
        Api.send(res, 200, Views.page(organizations.list(ctx, Api.page(req, 100)), OrganizationsApi::view));
    }

    private void disable(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "org.disable", null, null);
        Api.send(res, 200, view(organizations.disable(ctx, Api.pathParam(req, "id"))));
    }

    private void enable(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "org.enable", null, null);
        Api.send(res, 200, view(organizations.enable(ctx, Api.pathParam(req, "id"))));
    }

    static Map<String, Object> view(Organizations.Info o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", o.id());
        m.put("name", o.name());
        m.put("createdAt", o.createdAt() == null ? null : Timestamps.iso(o.createdAt()));
        m.put("disabled", o.disabled());
        m.put("disabledAt", o.disabledAt() == null ? null : Timestamps.iso(o.disabledAt()));
        return m;
    }
}
