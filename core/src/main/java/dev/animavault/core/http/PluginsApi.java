package dev.animavault.core.http;

import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.core.service.RequestContext;
import dev.animavault.core.service.VaultService;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/sys/plugins}: the installed plugins and the provider names (storage backends, credential
 * types, audit sinks) each contributes; {@code loaded} is false for a plugin the node did not load because
 * its configuration uses none of its providers (the names are then the plugin's declared ones). Organization API key; audited as {@code plugin.list}.
 */
final class PluginsApi implements HttpService {
    private final Api api;
    private final PluginRegistry plugins;

    PluginsApi(Api api, PluginRegistry plugins) {
        this.api = api;
        this.plugins = plugins;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        RequestContext ctx = api.authenticate(req, "plugin.list", null, null);
        VaultService service = api.service();
        List<Map<String, Object>> items = service.auditQueries().organizationRead(ctx, "plugin.list", dev.animavault.core.authz.Permission.SYS_READ,
                () -> plugins.plugins().stream().map(PluginsApi::view).toList());
        Api.send(res, 200, Map.of("items", items));
    }

    private static Map<String, Object> view(PluginRegistry.PluginInfo p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.id());
        m.put("version", p.version());
        m.put("storageBackends", p.storageBackends());
        m.put("credentialTypes", p.credentialTypes());
        m.put("auditSinks", p.auditSinks());
        m.put("loaded", p.loaded());
        return m;
    }
}
