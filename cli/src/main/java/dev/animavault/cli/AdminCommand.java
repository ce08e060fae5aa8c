package dev.animavault.cli;

import dev.animavault.client.Auth;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code anima-vault admin login} and {@code admin mfa enroll}: an admin's interactive login. The password
 * and the code are prompted (without echo on a terminal; one line each from standard input otherwise),
 * never taken from the command line; an enrollment shows the {@code otpauth://} URI as a QR code in the
 * terminal. The session token is written to a file only its owner can read ({@code --save}), which other
 * commands then use with {@code --token-file}; it is never printed.
 */
@Command(name = "admin", mixinStandardHelpOptions = true, description = "An admin's login and TOTP enrollment.",
        subcommands = {AdminCommand.Login.class, AdminCommand.Mfa.class})
public final class AdminCommand extends Group {

    @Command(name = "login", mixinStandardHelpOptions = true,
            description = "Log in with password and TOTP (or recovery) code; save the session token for --token-file. "
                    + "An account without TOTP enrolls on the way (QR code shown).")
    static final class Login extends Flow {
        @Override
        int run(Output out) throws IOException {
            return flow(out, false);
        }
    }

    @Command(name = "mfa", mixinStandardHelpOptions = true, description = "An admin's second factor.",
            subcommands = {Enroll.class})
    static final class Mfa extends Group {
    }

    @Command(name = "enroll", mixinStandardHelpOptions = true,
            description = "Enroll TOTP: log in with the password, scan the QR code shown with an authenticator app, "
                    + "confirm with its first code; prints the ten recovery codes once and saves the session.")
    static final class Enroll extends Flow {
        @Override
        int run(Output out) throws IOException {
            return flow(out, true);
        }
    }

    /** The shared login flow. */
    abstract static class Flow extends ClientCommand {
        @Option(names = "--organization", paramLabel = "ID", defaultValue = "default",
                description = "The admin's organization (default: ${DEFAULT-VALUE}).")
        String organization;

        @Option(names = {"-u", "--username"}, required = true, description = "The admin's username.")
        String username;

        @Option(names = "--save", paramLabel = "FILE",
                description = "Where to write the session token (default: $ANIMA_VAULT_SESSION_FILE, else "
                        + "~/.config/anima-vault/session), mode 0600.")
        Path save;

        @Option(names = "--no-color", description = "Draw the QR code without ANSI colours.")
        boolean noColor;

        int flow(Output out, boolean enrollOnly) throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            Prompt prompt = new Prompt(err);
            Auth auth = options.anonymousClient().auth();
            char[] password = prompt.secret("Password for " + organization + "/" + username + ": ");
            Auth.LoginStep step;
            try {
                step = auth.login(organization, username, password);
            } finally {
                Arrays.fill(password, '\0');
            }
            Auth.AdminSession session;
            switch (step.next()) {
                case "enroll" -> {
                    err.println("Scan this QR code with an authenticator app (or enter the secret "
                            + step.totpSecret() + "):");
                    err.print(TerminalQr.render(TerminalQr.encode(step.otpauthUri()), !noColor));
                    err.println(step.otpauthUri());
                    err.flush();
                    session = auth.mfa(step.challenge(), prompt.line("First code from the app: "));
                }
                case "mfa" -> {
                    if (enrollOnly) {
                        err.println("error: " + username + " has TOTP enrolled already; an owner can reset it "
                                + "(DELETE /v1/admins/" + username + "/mfa), then enroll again");
                        err.flush();
                        return ExitCodes.CONFLICT;
                    }
                    session = auth.mfa(step.challenge(), prompt.line("TOTP or recovery code: "));
                }
                case "session" -> session = new Auth.AdminSession(step.session(), null, username, null,
                        java.util.List.of());
                default -> throw new IOException("unexpected login step '" + step.next() + "'");
            }
            Path file = sessionFile();
            write(file, session.session());
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("username", session.username());
            doc.put("role", session.role());
            doc.put("expiresAt", session.expiresAt());
            doc.put("sessionFile", file.toString());
            if (!session.recoveryCodes().isEmpty()) {
                doc.put("recoveryCodes", session.recoveryCodes());
            }
            if (out.json()) {
                out.json(doc);
            } else {
                out.fields(doc);
                if (!session.recoveryCodes().isEmpty()) {
                    err.println("Store the recovery codes now: they are shown once, each works once in place of a code.");
                }
                err.println("Use it with: --token-file " + file);
                err.flush();
            }
            return ExitCodes.OK;
        }

        private Path sessionFile() {
            if (save != null) {
                return save;
            }
            String env = System.getenv("ANIMA_VAULT_SESSION_FILE");
            if (env != null && !env.isBlank()) {
                return Path.of(env);
            }
            return Path.of(System.getProperty("user.home"), ".config", "anima-vault", "session");
        }

        /** Writes the token owner-only (created 0600 where POSIX permissions exist). */
        private static void write(Path file, String token) throws IOException {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                Files.createDirectories(dir);
            }
            Files.deleteIfExists(file);
            boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
            if (posix) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        }
    }

    /** Prompts on the terminal without echo for secrets; reads lines from standard input without one. */
    static final class Prompt {
        private final PrintWriter err;
        private final Console console = System.console();
        private BufferedReader stdin;

        Prompt(PrintWriter err) {
            this.err = err;
        }

        char[] secret(String label) throws IOException {
            if (console != null) {
                char[] s = console.readPassword("%s", label);
                if (s == null) {
                    throw new IOException("no input");
                }
                return s;
            }
            return line(label).toCharArray();
        }

        String line(String label) throws IOException {
            if (console != null) {
                String s = console.readLine("%s", label);
                if (s == null) {
                    throw new IOException("no input");
                }
                return s.strip();
            }
            err.print(label);
            err.flush();
            if (stdin == null) {
                stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            }
            String s = stdin.readLine();
            if (s == null) {
                throw new IOException("no input: standard input ended before the " + label.strip());
            }
            return s.strip();
        }
    }
}
