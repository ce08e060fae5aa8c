package dev.animavault.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Adds the client commands to a command line: {@code @Command(modelTransformer = ClientCommands.class)}
 * on the root command (core's {@code Main} does this) or {@link #addTo(CommandLine)}. A new client
 * command is one class in {@link #COMMANDS}.
 */
public final class ClientCommands implements CommandLine.IModelTransformer {
    /** The top-level client commands, in the order {@code --help} lists them. */
    static final List<Class<?>> COMMANDS = List.of(IdentitiesCommand.class, TokensCommand.class, SecretsCommand.class,
            AuditCommand.class, ReportCommand.class, PluginsCommand.class, StatusCommand.class, KeyringCommand.class,
            RootKeyCommand.class, AdminCommand.class);

    /** As the README's CLI reference documents them ({@link ExitCodes}). */
    static final Map<String, String> EXIT_CODES = exitCodes();

    private static Map<String, String> exitCodes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("0", "done");
        m.put("1", "unexpected error");
        m.put("2", "bad command line");
        m.put("3", "not found (404)");
        m.put("4", "no token, or the token is refused (401/403)");
        m.put("5", "conflict (409): already exists, identity disabled, type mismatch");
        m.put("6", "the vault refused the input (400/413/422)");
        m.put("7", "vault unreachable, timed out, rate-limited (429) or unavailable (5xx)");
        return m;
    }

    @Override
    public CommandSpec transform(CommandSpec root) {
        for (Class<?> command : COMMANDS) {
            CommandLine client = new CommandLine(command);
            CommandLine existing = root.subcommands().get(client.getCommandName());
            if (existing == null) {
                root.addSubcommand(null, client);
            } else {
                // the root has a command of that name already (core's offline "audit verify"): one "audit"
                // command carries both, the client's subcommands beside the root's own
                client.getSubcommands().forEach((name, sub) -> {
                    if (!existing.getSubcommands().containsKey(name)) {
                        existing.addSubcommand(name, sub);
                    }
                });
            }
        }
        // bash/zsh completion of every command, options included: source <(anima-vault generate-completion)
        CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
        completion.getCommandSpec().usageMessage().hidden(false);
        root.addSubcommand("generate-completion", completion);
        if (root.versionProvider() != null) {
            inheritVersion(root, root.versionProvider());
        }
        if (root.usageMessage().exitCodeList().isEmpty()) {
            root.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(EXIT_CODES);
        }
        return root;
    }

    // -V on a subcommand prints what the root's -V prints
    private static void inheritVersion(CommandSpec spec, CommandLine.IVersionProvider provider) {
        for (CommandLine sub : spec.subcommands().values()) {
            if (sub.getCommandSpec().versionProvider() == null) {
                sub.getCommandSpec().versionProvider(provider);
            }
            inheritVersion(sub.getCommandSpec(), provider);
        }
    }

    /** Adds the client commands to an existing command line. */
    public static CommandLine addTo(CommandLine root) {
        new ClientCommands().transform(root.getCommandSpec());
        return root;
    }
}
