package dev.animavault.cli;

import dev.animavault.client.Anima;
import dev.animavault.client.AnimaException;
import dev.animavault.client.NewSecret;
import dev.animavault.client.Page;
import dev.animavault.client.RotationPolicy;
import dev.animavault.client.Secret;
import dev.animavault.client.SecretMetadata;
import dev.animavault.client.SecretUpdate;
import dev.animavault.client.SecretValue;
import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code anima-vault secrets put|get|list|delete|versions}. Values are never echoed unless {@code --reveal}. */
@Command(name = "secrets", mixinStandardHelpOptions = true, description = "Identity-scoped secrets.",
        subcommands = {SecretsCommand.Put.class, SecretsCommand.Get.class, SecretsCommand.ListCmd.class,
                SecretsCommand.Delete.class, SecretsCommand.Versions.class})
public final class SecretsCommand extends Group {
    static final List<String> HEADER = List.of("KEY", "TYPE", "VERSION", "UPDATED", "METADATA");

    static List<?> row(SecretMetadata s) {
        return List.of(s.key(), s.type(), s.version(), Views.iso(s.updatedAt()), s.metadata());
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Store a value: version 1 of a new secret, or the next version of an existing one.",
                    "The value is read from --file, else from stdin (a prompt without echo on a terminal); one "
                            + "trailing newline is removed. It is never printed."})
    static final class Put extends ClientCommand {
        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Parameters(index = "1", paramLabel = "KEY", description = "1-256 of [A-Za-z0-9_.-], not starting with . or -.")
        String key;

        @Option(names = "--file", paramLabel = "FILE", description = "Read the value from FILE ('-' = stdin).")
        Path file;

        @Option(names = "--type", description = "Credential type: required for a new secret's type other than api_key; "
                + "changes an existing secret's type (default: api_key when creating, unchanged when updating).")
        String type;

        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "Metadata entry (repeatable); replaces "
                + "the secret's metadata.")
        Map<String, String> metadata;

        @Option(names = "--rotate-every", paramLabel = "DURATION",
                description = "Rotation interval, e.g. 30d (with --webhook; README \"Rotation\").")
        String rotateEvery;

        @Option(names = "--webhook", paramLabel = "URL", description = "The https receiver of rotation deliveries.")
        String webhook;

        @Option(names = "--rotation-mode", paramLabel = "MODE", description = "generate, webhook or notify.")
        String rotationMode;

        @Option(names = "--expires-at", paramLabel = "INSTANT", description = "Expiry, e.g. 2027-01-31T00:00:00Z.")
        String expiresAt;

        @Option(names = "--generate", description = "Create the secret with a value its credential type generates "
                + "(e.g. --type password); read it with 'secrets get --reveal'. New secrets only.")
        boolean generate;

        @Option(names = "--length", paramLabel = "N", description = "With --generate: the generated value's length.")
        Integer length;

        @Override
        int run(Output out) throws IOException {
            if ((rotateEvery == null) != (webhook == null)) {
                throw new ParameterException(spec.commandLine(), "--rotate-every and --webhook go together");
            }
            if (rotationMode != null && rotateEvery == null) {
                throw new ParameterException(spec.commandLine(), "--rotation-mode needs --rotate-every and --webhook");
            }
            RotationPolicy rotation = rotateEvery == null ? null
                    : RotationPolicy.of(rotateEvery, webhook).withMode(rotationMode);
            Instant expiry = null;
            if (expiresAt != null) {
                try {
                    expiry = Instant.parse(expiresAt);
                } catch (java.time.format.DateTimeParseException e) {
                    throw new ParameterException(spec.commandLine(), "--expires-at must be an ISO-8601 instant such as "
                            + "2027-01-31T00:00:00Z");
                }
            }
            if (length != null && !generate) {
                throw new ParameterException(spec.commandLine(), "--length goes with --generate");
            }
            if (generate && file != null) {
                throw new ParameterException(spec.commandLine(), "give --generate or --file, not both");
            }
            Anima am = options.client();
            if (generate) { // POST only: a generated value never replaces an existing one by accident
                SecretMetadata stored = am.vault().secrets().create(new NewSecret(identityId, key, null,
                        type == null ? "password" : type, metadata == null ? Map.of() : metadata,
                        length == null ? Map.of() : Map.of("length", length), rotation, expiry));
                if (out.json()) {
                    out.json(Views.secretMetadata(stored));
                } else {
                    out.writer().println("created " + identityId + "/" + key + " version " + stored.version()
                            + " (generated)");
                }
                return ExitCodes.OK;
            }
            SecretValue value = SecretValue.of(readValue());
            SecretMetadata stored;
            boolean created = false;
            try {
                SecretUpdate update = new SecretUpdate(value, Optional.ofNullable(type), Optional.ofNullable(metadata),
                        Optional.ofNullable(rotation), Optional.ofNullable(expiry));
                stored = am.vault().secrets().put(identityId, key, update);
            } catch (AnimaException.NotFound e) {
                if (!"secret_not_found".equals(e.code())) {
                    throw e;
                }
                stored = am.vault().secrets().create(new NewSecret(identityId, key, value, type == null ? "api_key" : type,
                        metadata == null ? Map.of() : metadata, null, rotation, expiry));
                created = true;
            }
            if (out.json()) {
                out.json(Views.secretMetadata(stored));
            } else {
                out.writer().println((created ? "created " : "updated ") + identityId + "/" + key + " version "
                        + stored.version());
            }
            return ExitCodes.OK;
        }

        private String readValue() throws IOException {
            byte[] bytes;
            if (file != null && !file.toString().equals("-")) {
                bytes = Files.readAllBytes(file);
            } else {
                Console console = System.console();
                if (file == null && console != null && console.reader() != null && isTerminal(console)) {
                    char[] typed = console.readPassword("Value for %s/%s: ", identityId, key);
                    if (typed == null) {
                        throw new ParameterException(spec.commandLine(), "no value entered");
                    }
                    String v = new String(typed);
                    java.util.Arrays.fill(typed, '\0');
                    return requireValue(v);
                }
                bytes = System.in.readAllBytes();
            }
            String v = new String(bytes, StandardCharsets.UTF_8);
            java.util.Arrays.fill(bytes, (byte) 0);
            if (v.endsWith("\r\n")) {
                v = v.substring(0, v.length() - 2);
            } else if (v.endsWith("\n")) {
                v = v.substring(0, v.length() - 1);
            }
            return requireValue(v);
        }

        private String requireValue(String v) {
            if (v.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "the value is empty (give it on stdin or with --file)");
            }
            return v;
        }

        // Java 22+ says whether the console is a terminal; before that System.console() is non-null only then
        private static boolean isTerminal(Console console) {
            try {
                return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
            } catch (ReflectiveOperationException e) {
                return true;
            }
        }
    }

    // no standard -V/--version here: --version is the secret's version, as in the HTTP API
    @Command(name = "get",
            description = {"Show a secret. The value is masked unless --reveal; with --reveal and table output "
                    + "only the value is printed (for $(...))."})
    static final class Get extends ClientCommand {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Option(names = "--version", paramLabel = "N", description = "Read version N (default: the current one).")
        Integer version;

        @Option(names = "--reveal", description = "Print the value.")
        boolean reveal;

        @Override
        int run(Output out) {
            var secrets = options.client().vault().secrets();
            Secret s = version == null ? secrets.get(identityId, key) : secrets.get(identityId, key, version);
            if (out.json()) {
                out.json(Views.secret(s, reveal));
            } else if (reveal) {
                out.writer().println(s.value().reveal());
            } else {
                out.fields(Views.secret(s, false));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List an identity's secrets (no values).")
    static final class ListCmd extends ClientCommand {
        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Mixin
        Paging paging;

        @Override
        int run(Output out) {
            var secrets = options.client().vault().secrets();
            Paging.print(out, spec.commandLine().getErr(), paging.fetch(c -> secrets.list(identityId, paging.limit, c)),
                    Views::secretMetadata, HEADER, SecretsCommand::row);
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a secret and all its versions.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(Output out) {
            options.client().vault().secrets().delete(identityId, key);
            if (out.json()) {
                out.json(Map.of("identityId", identityId, "key", key, "deleted", true));
            } else {
                out.writer().println("deleted " + identityId + "/" + key);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "versions", mixinStandardHelpOptions = true,
            description = {"Show a secret's versions (from its metadata; reads no value).",
                    "Every version from 1 to the current one stays readable with 'secrets get --version N'."})
    static final class Versions extends ClientCommand {
        @Parameters(index = "0", paramLabel = "IDENTITY")
        String identityId;

        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(Output out) {
            // API v1 has no per-secret metadata read or version listing: find the key in the listing
            var secrets = options.client().vault().secrets();
            SecretMetadata found = null;
            String cursor = null;
            do {
                Page<SecretMetadata> page = secrets.list(identityId, 1000, cursor);
                for (SecretMetadata s : page) {
                    if (s.key().equals(key)) {
                        found = s;
                    }
                }
                cursor = page.nextCursor().orElse(null);
            } while (found == null && cursor != null);
            if (found == null) {
                spec.commandLine().getErr().println("error: secret " + key + " of identity " + identityId
                        + " not found");
                return ExitCodes.NOT_FOUND;
            }
            List<Integer> versions = new ArrayList<>();
            for (int v = found.version(); v >= 1; v--) {
                versions.add(v);
            }
            if (out.json()) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("identityId", identityId);
                doc.put("key", key);
                doc.put("type", found.type());
                doc.put("currentVersion", found.version());
                doc.put("versions", versions);
                doc.put("createdAt", Views.iso(found.createdAt()));
                doc.put("updatedAt", Views.iso(found.updatedAt()));
                out.json(doc);
            } else {
                List<List<?>> rows = new ArrayList<>();
                for (int v : versions) {
                    rows.add(List.of(v, v == found.version() ? "current" : "",
                            v == found.version() ? Views.iso(found.updatedAt()) : v == 1 ? Views.iso(found.createdAt()) : ""));
                }
                out.table(List.of("VERSION", "STATE", "WRITTEN"), rows);
            }
            return ExitCodes.OK;
        }
    }
}
