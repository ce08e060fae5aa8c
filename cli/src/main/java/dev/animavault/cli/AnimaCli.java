package dev.animavault.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The client commands on their own (without the server), for a machine that only talks to a remote
 * vault: {@code java -cp anima-vault-cli.jar:... dev.animavault.cli.AnimaCli secrets list agent_123}.
 * {@code bin/anima-vault} offers the same commands next to {@code server} and {@code init}.
 */
@Command(name = "anima-vault", mixinStandardHelpOptions = true, modelTransformer = ClientCommands.class,
        versionProvider = AnimaCli.Version.class,
        description = "Anima Vault client: talks HTTP to a running vault ($ANIMA_VAULT_ADDR, $ANIMA_VAULT_TOKEN).")
public final class AnimaCli implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests run it in-process with their own out/err writers). */
    public static CommandLine commandLine() {
        return new CommandLine(new AnimaCli());
    }

    /** The client's version (the jar's Implementation-Version). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AnimaCli.class.getPackage().getImplementationVersion();
            return new String[] {"anima-vault client " + (v == null ? "dev" : v)};
        }
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return ExitCodes.OK;
    }
}
