package dev.animavault.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.cli.ClientCommands;
import dev.animavault.core.TestVault;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Runs {@code anima-vault}'s client commands in this JVM against a running {@link TestVault}, as the CLI tests
 * do: the given arguments, then {@code --addr <vault> [--token-file <file>] -o json}; standard output parsed as
 * JSON, standard error kept as text.
 */
public final class ClientCli {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One command's exit status, its JSON output ({@code null} when it printed nothing) and its stderr. */
    public record Run(int status, JsonNode json, String err) {
    }

    private ClientCli() {
    }

    /**
     * Runs one command.
     *
     * @param tokenFile passed as {@code --token-file}, or {@code null} for none
     * @param stdin what the command reads from {@link System#in} (prompts), or {@code null} to leave it alone
     */
    public static Run run(TestVault vault, Path tokenFile, String stdin, String... args) throws Exception {
        return runPrompted(vault, tokenFile, stdin == null ? null
                : stderr -> new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
    }

    /**
     * Runs one command whose standard input may depend on what it has written to stderr so far (a prompt
     * answered from what the command showed before it).
     *
     * @param stdin given the command's stderr so far, the stream it reads from {@link System#in}; or
     *     {@code null} to leave {@link System#in} alone
     */
    public static Run runPrompted(TestVault vault, Path tokenFile, Function<Supplier<String>, InputStream> stdin,
                                  String... args) throws Exception {
        @CommandLine.Command(name = "anima-vault")
        final class Root {
        }
        CommandLine cli = ClientCommands.addTo(new CommandLine(new Root()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--addr", vault.uri("").toString()));
        if (tokenFile != null) {
            all.addAll(List.of("--token-file", tokenFile.toString()));
        }
        all.addAll(List.of("-o", "json"));
        InputStream in = System.in;
        if (stdin != null) {
            System.setIn(stdin.apply(err::toString));
        }
        try {
            int status = cli.execute(all.toArray(String[]::new));
            String text = out.toString().trim();
            return new Run(status, text.isEmpty() ? null : JSON.readTree(text), err.toString());
        } finally {
            System.setIn(in);
        }
    }
}
