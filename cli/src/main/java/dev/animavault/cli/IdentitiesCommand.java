package dev.animavault.cli;

import dev.animavault.client.Identity;
import dev.animavault.client.NewIdentity;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anima-vault identities create|get|list|disable}. */
@Command(name = "identities", mixinStandardHelpOptions = true, description = "Agent identities.",
        subcommands = {IdentitiesCommand.Create.class, IdentitiesCommand.Get.class, IdentitiesCommand.ListCmd.class,
                IdentitiesCommand.Disable.class})
public final class IdentitiesCommand extends Group {
    static final List<String> HEADER = List.of("ID", "NAME", "DISABLED", "CREATED", "METADATA");

    static List<?> row(Identity i) {
        return List.of(i.id(), i.name(), i.disabled(), Views.iso(i.createdAt()), i.metadata());
    }

    static void print(Output out, Identity i) {
        if (out.json()) {
            out.json(Views.identity(i));
        } else {
            out.fields(Views.identity(i));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an identity.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "1-128 of [A-Za-z0-9_.-], starting with a letter or digit.")
        String id;

        @Option(names = "--name", description = "Display name (default: the id).")
        String name;

        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "Metadata entry (repeatable).")
        Map<String, String> metadata;

        @Override
        int run(Output out) {
            print(out, options.client().identities().create(new NewIdentity(id, Optional.ofNullable(name),
                    metadata == null ? Map.of() : metadata)));
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show an identity.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        int run(Output out) {
            print(out, options.client().identities().get(id));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List identities.")
    static final class ListCmd extends ClientCommand {
        @Mixin
        Paging paging;

        @Override
        int run(Output out) {
            var ids = options.client().identities();
            Paging.print(out, spec.commandLine().getErr(), paging.fetch(c -> ids.list(paging.limit, c)),
                    Views::identity, HEADER, IdentitiesCommand::row);
            return ExitCodes.OK;
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Disable an identity and revoke all its tokens (idempotent); its secrets stay.")
    static final class Disable extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        int run(Output out) {
            print(out, options.client().identities().disable(id));
            return ExitCodes.OK;
        }
    }
}
