package dev.animavault.cli;

import dev.animavault.client.IssuedToken;
import dev.animavault.client.TokenRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code anima-vault tokens issue|list|revoke}: an identity's tokens (an organization API key). */
@Command(name = "tokens", mixinStandardHelpOptions = true, description = "Identity tokens.",
        subcommands = {TokensCommand.Issue.class, TokensCommand.ListTokens.class, TokensCommand.Revoke.class})
public final class TokensCommand extends Group {
    private static final Pattern TTL = Pattern.compile("(\\d{1,9})(s|m|h|d|w)");

    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = "Issue a token for an identity; the token is printed this once.")
    static final class Issue extends ClientCommand {
        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Option(names = "--name", description = "A name to recognise the token by.")
        String name;

        @Option(names = "--key", paramLabel = "KEY", description = "Limit the token to this secret key (repeatable).")
        List<String> keys;

        @Option(names = "--ttl", paramLabel = "DURATION", description = "Expire after e.g. 1h, 30d (default: never).")
        String ttl;

        @Override
        int run(Output out) {
            TokenRequest request = TokenRequest.unlimited().withKeys(keys == null ? List.of() : keys);
            if (name != null) {
                request = request.withName(name);
            }
            if (ttl != null) {
                request = request.withTtl(ttl(ttl));
            }
            IssuedToken t = options.client().identities().tokens().issue(identityId, request);
            if (out.json()) {
                out.json(Views.issuedToken(t));
            } else {
                Map<String, Object> fields = Views.issuedToken(t);
                out.fields(fields);
                spec.commandLine().getErr().println("(the token is shown this once: store it now)");
                spec.commandLine().getErr().flush();
            }
            return ExitCodes.OK;
        }

        private Duration ttl(String text) {
            Matcher m = TTL.matcher(text.trim());
            if (!m.matches()) {
                throw new ParameterException(spec.commandLine(), "--ttl must be a duration such as 30m, 1h or 30d");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            };
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List an identity's tokens (id, name, keys, expiry; never the token).")
    static final class ListTokens extends ClientCommand {
        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Override
        int run(Output out) {
            List<Map<String, Object>> tokens = options.client().identities().tokens().list(identityId).stream()
                    .map(Views::tokenInfo).toList();
            if (out.json()) {
                out.json(Map.of("items", tokens));
            } else {
                out.table(List.of("ID", "NAME", "KEYS", "CREATED", "EXPIRES"), tokens.stream()
                        .<List<?>>map(t -> java.util.Arrays.asList(t.get("id"), ((String) t.get("name")).isEmpty() ? "-" : t.get("name"),
                                t.get("keys"), Output.text(t.get("createdAt")), Output.text(t.get("expiresAt"))))
                        .toList());
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token.")
    static final class Revoke extends ClientCommand {
        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Parameters(index = "1", paramLabel = "TOKEN_ID", description = "The token's id (not the token itself).")
        String tokenId;

        @Override
        int run(Output out) {
            options.client().identities().tokens().revoke(identityId, tokenId);
            if (out.json()) {
                out.json(Map.of("identityId", identityId, "tokenId", tokenId, "revoked", true));
            } else {
                out.writer().println("revoked token " + tokenId + " of " + identityId);
            }
            return ExitCodes.OK;
        }
    }
}
