package dev.animavault.cli;

import dev.animavault.client.Sys;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code anima-vault plugins list}: the vault's installed plugins, whether it loaded each, and what each provides. */
@Command(name = "plugins", mixinStandardHelpOptions = true, description = "The vault's plugins.",
        subcommands = {PluginsCommand.ListPlugins.class})
public final class PluginsCommand extends Group {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the installed plugins (loaded or skipped by the configuration) and the storage backends, credential types and audit sinks they provide.")
    static final class ListPlugins extends ClientCommand {
        @Override
        int run(Output out) {
            List<Map<String, Object>> plugins = options.client().sys().plugins().stream().map(ListPlugins::view).toList();
            if (out.json()) {
                out.json(Map.of("items", plugins));
            } else {
                out.table(List.of("PLUGIN", "VERSION", "LOADED", "STORAGE", "CREDENTIAL TYPES", "AUDIT SINKS"), plugins.stream()
                        .<List<?>>map(p -> java.util.Arrays.asList(p.get("id"), p.get("version"), p.get("loaded"),
                                p.get("storageBackends"), p.get("credentialTypes"), p.get("auditSinks")))
                        .toList());
            }
            return ExitCodes.OK;
        }

        private static Map<String, Object> view(Sys.Plugin p) {
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
}
