package dev.animavault.cli;

import dev.animavault.client.AuditEvent;
import dev.animavault.client.LogQuery;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code anima-vault audit logs}. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "The organization's audit log.",
        subcommands = {AuditCommand.Logs.class})
public final class AuditCommand extends Group {

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Show audit events, newest first.")
    static final class Logs extends ClientCommand {
        @Option(names = "--identity", paramLabel = "ID", description = "Only events about this identity.")
        String identityId;

        @Option(names = "--action", paramLabel = "ACTION", description = "Only this action, e.g. secret.read.")
        String action;

        @Option(names = "--from", paramLabel = "INSTANT", description = "Not before, e.g. 2026-01-31T12:00:00Z.")
        String from;

        @Option(names = "--to", paramLabel = "INSTANT", description = "Not after.")
        String to;

        @Mixin
        Paging paging;

        @Override
        int run(Output out) {
            var audit = options.client().vault().audit();
            LogQuery q = LogQuery.all().identityId(identityId).action(action).from(instant(from, "--from"))
                    .to(instant(to, "--to")).limit(paging.limit);
            Paging.print(out, spec.commandLine().getErr(), paging.fetch(c -> audit.getLogs(q.cursor(c))),
                    Views::auditEvent, List.of("TIMESTAMP", "ACTION", "OUTCOME", "IDENTITY", "KEY", "ACTOR", "ERROR"),
                    Logs::row);
            return ExitCodes.OK;
        }

        private static List<?> row(AuditEvent e) {
            return java.util.Arrays.asList(e.timestamp(), e.action(), e.outcome(), e.identityId(), e.secretKey(), e.actor(),
                    e.errorCode());
        }

        private Instant instant(String text, String option) {
            if (text == null) {
                return null;
            }
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new ParameterException(spec.commandLine(), option + " must be an ISO-8601 instant such as "
                        + "2026-01-31T12:00:00Z");
            }
        }
    }
}
