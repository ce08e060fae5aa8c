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

/** {@code anima-vault audit logs|tail|hash}. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "The organization's audit log.",
        subcommands = {AuditCommand.Logs.class, AuditCommand.Tail.class, AuditCommand.Hash.class})
public final class AuditCommand extends Group {

    @Command(name = "hash", mixinStandardHelpOptions = true,
            description = {"Print a value as audit events record it: token and API key ids (and, when configured, "
                    + "client addresses) are HMACs under the audit key.",
                    "VALUE is a token id, an API key id, an address, or an actor such as identity:agent_1/<token id>.",
                    "With --all-versions: one line per audit key version, newest first (events recorded before an "
                    + "audit key rotation use the older ones)."})
    static final class Hash extends ClientCommand {
        @picocli.CommandLine.Parameters(paramLabel = "VALUE", description = "The value to hash (never recorded).")
        String value;

        @Option(names = "--all-versions", description = "Every audit key version, not only the active one.")
        boolean allVersions;

        @Override
        int run(Output out) {
            var h = options.client().vault().audit().hash(value, allVersions);
            java.util.List<String> lines = allVersions ? h.versions()
                    : java.util.List.of(h.actor() != null ? h.actor() : h.hmac());
            if (out.json()) {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("activeVersion", h.activeVersion());
                m.put("hmac", h.hmac());
                if (h.actor() != null) {
                    m.put("actor", h.actor());
                }
                if (allVersions) {
                    m.put("versions", h.versions());
                }
                out.jsonLine(m);
            } else {
                lines.forEach(out.writer()::println);
                out.writer().flush();
            }
            return ExitCodes.OK;
        }
    }

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

    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = {"Show the newest audit events, then follow new ones until stopped (Ctrl-C) or --count.",
                    "Polls the audit log every --interval; its own queries (audit.query events) are not shown.",
                    "With --output json: one JSON object per line."})
    static final class Tail extends ClientCommand {
        private static final int POLL_LIMIT = 1000;

        @Option(names = "--identity", paramLabel = "ID", description = "Only events about this identity.")
        String identityId;

        @Option(names = "--action", paramLabel = "ACTION", description = "Only this action, e.g. secret.read.")
        String action;

        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "10",
                description = "Newest events to show first, 0-1000 (default: ${DEFAULT-VALUE}).")
        int lines;

        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "2s",
                description = "Time between polls (default: ${DEFAULT-VALUE}).")
        String interval;

        @Option(names = "--count", paramLabel = "N", description = "Stop after N new events (default: follow until stopped).")
        Integer count;

        @Override
        int run(Output out) throws InterruptedException {
            if (lines < 0 || lines > POLL_LIMIT) {
                throw new ParameterException(spec.commandLine(), "--lines must be between 0 and " + POLL_LIMIT);
            }
            java.time.Duration every = ClientOptions.duration(interval, "--interval", spec.commandLine());
            // every poll is itself audited (audit.query): tag our requests to leave those events out
            String own = "cli-tail-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
            java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
            var audit = options.build(options.builder(true).requestIds(() -> own + "-" + calls.incrementAndGet()))
                    .vault().audit();
            LogQuery base = LogQuery.all().identityId(identityId).action(action).limit(POLL_LIMIT);
            java.util.Set<String> seen = java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>() {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, Boolean> eldest) {
                    return size() > 4 * POLL_LIMIT;
                }
            });
            List<AuditEvent> first = fresh(audit.getLogs(base), seen, own);
            print(out, first.subList(Math.max(0, first.size() - lines), first.size()));
            String since = first.isEmpty() ? null : first.get(first.size() - 1).timestamp();
            int shown = 0;
            while (count == null || shown < count) {
                Thread.sleep(every.toMillis());
                List<AuditEvent> news = fresh(audit.getLogs(since == null ? base : base.from(Instant.parse(since))), seen,
                        own);
                if (count != null && news.size() > count - shown) {
                    news = news.subList(0, count - shown);
                }
                print(out, news);
                shown += news.size();
                if (!news.isEmpty()) {
                    since = news.get(news.size() - 1).timestamp();
                }
            }
            return ExitCodes.OK;
        }

        /** The page's events not seen before and not our own, oldest first; all of them marked seen. */
        private static List<AuditEvent> fresh(List<AuditEvent> newestFirst, java.util.Set<String> seen, String own) {
            List<AuditEvent> result = new java.util.ArrayList<>();
            for (int i = newestFirst.size() - 1; i >= 0; i--) {
                AuditEvent e = newestFirst.get(i);
                if (seen.add(e.id()) && (e.requestId() == null || !e.requestId().startsWith(own))) {
                    result.add(e);
                }
            }
            return result;
        }

        private static void print(Output out, List<AuditEvent> events) {
            for (AuditEvent e : events) {
                if (out.json()) {
                    out.jsonLine(Views.auditEvent(e));
                } else {
                    out.writer().println(String.join("  ", e.timestamp(), e.action(), e.outcome(),
                            Output.text(e.identityId()) + "/" + Output.text(e.secretKey()), Output.text(e.actor()),
                            e.errorCode() == null ? "" : e.errorCode()).stripTrailing());
                    out.writer().flush();
                }
            }
        }
    }
}
