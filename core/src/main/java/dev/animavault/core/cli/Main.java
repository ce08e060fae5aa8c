package dev.animavault.core.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.VaultNode;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.config.VaultConfigLoader;
import dev.animavault.core.http.VaultServer;
import dev.animavault.spi.SpiVersion;
import dev.animavault.spi.VaultException;
import io.helidon.logging.jul.JulProvider;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code anima-vault} command line: {@code server}, {@code init}, {@code audit}. */
@Command(name = "anima-vault", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Anima Vault: identity-scoped secrets for AI agents.",
        modelTransformer = dev.animavault.cli.ClientCommands.class, // + identities, tokens, secrets, audit, status (HTTP)
        subcommands = {Main.ServerCommand.class, Main.InitCommand.class,
                dev.animavault.core.migrate.MigrateCommand.class, dev.animavault.core.backup.BackupCommand.class,
                dev.animavault.core.backup.RestoreCommand.class, dev.animavault.core.audit.verify.AuditCommand.class})
public final class Main implements Callable<Integer> {

    /** Exit status when the HTTP listener died while the process lived (EX_SOFTWARE). */
    static final int EXIT_LISTENER_LOST = 70;
    /** How long after the listener opens a server starts its background work (rotation, sweeps; issue 19). */
    static final java.time.Duration BACKGROUND_DELAY = java.time.Duration.ofSeconds(3);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        configureLogging();
        if (plainServer(args)) {
            // issue 19: picocli's classes are Java 5 class files, which the JDK's AOT cache cannot hold (~170 classes
            // loaded and verified by the old verifier at every start): `server` with nothing or --passphrase-stdin
            // runs without it; anything else (--help, --version, a typo) still goes through picocli
            ServerCommand server = new ServerCommand();
            server.passphraseStdin = args.length == 2;
            int code;
            try {
                code = server.call();
            } catch (Exception e) {
                code = report(e, new PrintWriter(System.err, true, java.nio.charset.Charset.defaultCharset()));
            }
            if (code != 0) {
                System.exit(code);
            }
            return;
        }
        CommandLine cli;
        if (args.length > 0 && args[0].equals("server")) {
            // issue 19: picocli reflects over every command it is given (all client commands too: ~0.1-0.2 s of
            // a start's CPU); `server` needs only its own
            cli = new CommandLine(new ServerCommand()).setCommandName("anima-vault server");
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else {
            cli = new CommandLine(new Main());
        }
        int code = cli.setExecutionExceptionHandler(Main::handle).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Configures java.util.logging as Helidon's {@code LogConfig.configureRuntime()} did here: the JUL provider's
     * set-up ({@code java.util.logging.config.class} or {@code .file} when set, else {@code logging.properties} from
     * the working directory, else from the class path). Issue 19 (eleventh pass): called directly, not through
     * {@code LogConfig}, whose class initialisation first looks the provider up with Helidon's service loader (a scan
     * of the class path and that loader's own set-up, ~20 ms of the main thread before anything else runs); the
     * class path holds exactly one provider, this one ({@code helidon-logging-jul}).
     */
    static void configureLogging() {
        new JulProvider().initialization();
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** {@code server} or {@code server --passphrase-stdin}: the arguments the fast path of {@link #main} takes. */
    static boolean plainServer(String[] args) {
        return args.length > 0 && args[0].equals("server")
                && (args.length == 1 || args.length == 2 && args[1].equals("--passphrase-stdin"));
    }

    private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        return report(e, cmd.getErr());
    }

    private static int report(Exception e, PrintWriter err) {
        if (e instanceof VaultException ve) {
            err.println("error: " + ve.getMessage());
        } else {
            err.println("error: " + e);
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    /** Prints the version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"anima-vault " + (v == null ? "dev" : v) + " (SPI " + SpiVersion.CURRENT + ")"};
        }
    }

    /** {@code anima-vault server}: runs the HTTP server until stopped. */
    @Command(name = "server", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Start the vault server.")
    static final class ServerCommand implements Callable<Integer> {
        @Option(names = "--passphrase-stdin", description = "Read the root key passphrase (vault.root-key.type: "
                + "passphrase) from the first line of standard input.")
        boolean passphraseStdin;

        @Override
        public Integer call() throws InterruptedException, java.io.IOException {
            long started = System.nanoTime();
            // issue 19: Helidon's, Jackson's and PF4J's classes load and initialise on a second core while this thread
            // reads the configuration and starts the node; the server itself is still built and opened only once the
            // node is ready (health stays truthful). Started before the configuration is read (eleventh pass): that
            // no longer initialises any class the warm-up does (the file is read by ConfigTree over SnakeYAML, not by
            // Helidon config, whose classes Helidon's builders share), so no two threads initialise one library's
            // classes at once until the node starts (then only Jackson and PF4J, each guarded by the JVM's class
            // initialisation locks with no cycle between the two threads)
            Thread.ofPlatform().daemon().name("http-warm-up").start(ServerCommand::warmUp);
            Map<String, String> env = System.getenv();
            // issue 19: ANIMA_VAULT_COMPILER_NICE=N (off by default) lowers the JIT compilers (~1.2 s of CPU until
            // healthy) by N nice values, on a thread of its own (linking setpriority costs ~0.1 s of CPU there)
            dev.animavault.core.os.CompilerThreads.lowerInBackground(env);
            VaultConfig config = new VaultConfigLoader(env).load();
            Clock clock = Clock.systemUTC();
            char[] passphrase = null;
            if (passphraseStdin) {
                byte[] in = System.in.readAllBytes();
                passphrase = dev.animavault.core.rootkey.BuiltInRootKeyProviders.firstLine(in);
                java.util.Arrays.fill(in, (byte) 0);
            }
            VaultNode node;
            try {
                node = VaultNode.start(config, env, clock, passphrase);
            } finally {
                if (passphrase != null) {
                    java.util.Arrays.fill(passphrase, '\0');
                }
            }
            VaultServer server;
            try {
                // issue 19: the background work's first polls wait until the first requests (health) are served
                server = VaultServer.start(node, clock, BACKGROUND_DELAY);
            } catch (RuntimeException e) {
                node.close();
                throw e;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
                server.close();
                node.close();
                stopped.countDown();
            }));
            server.onListenerDeath(() -> {
                System.getLogger(Main.class.getName()).log(System.Logger.Level.ERROR, "The HTTP listener stopped "
                        + "accepting connections; exiting with status " + EXIT_LISTENER_LOST + " so that a supervisor "
                        + "restarts the vault");
                System.exit(EXIT_LISTENER_LOST);
            });
            System.getLogger(Main.class.getName()).log(System.Logger.Level.INFO, "Anima Vault listening on http://{0}:{1} "
                    + "(started in {2} ms)", config.host(), String.valueOf(server.port()),
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            if (!node.organizations().initialized()) {
                System.getLogger(Main.class.getName()).log(System.Logger.Level.WARNING, "The vault has no organization "
                        + "yet: stop the server and run 'anima-vault init', or restart it with ANIMA_VAULT_BOOTSTRAP_TOKEN "
                        + "set.");
            }
            stopped.await();
            return 0;
        }

        /** The warm-up thread's work: PF4J first (the node needs it first), then Helidon's server and Jackson. */
        private static void warmUp() {
            dev.animavault.core.plugin.PluginRegistry.warmUp();
            VaultServer.warmUp();
        }
    }

    /**
     * {@code anima-vault init}: creates an organization (the first, or another with a new
     * {@code --organization}) and prints its instance owner API key once: every permission of the
     * organization plus {@code orgs:write} (create, list and disable organizations over HTTP).
     */
    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create an organization and print its instance owner API key (shown once). Run it again "
                    + "with another --organization for another organization, or use POST /v1/sys/organizations.")
    static final class InitCommand implements Callable<Integer> {
        @Option(names = "--organization", defaultValue = "default", description = "Organization id (default: ${DEFAULT-VALUE}).")
        String organizationId;

        @Option(names = "--name", description = "Organization display name (default: the id).")
        String name;

        @Option(names = "--json", description = "Print {\"organizationId\":...,\"apiKey\":...} for scripts.")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException {
            Map<String, String> env = System.getenv();
            VaultConfig config = new VaultConfigLoader(env).load();
            try (VaultNode node = VaultNode.start(config, env, Clock.systemUTC())) {
                TokenService.Issued issued = node.organizations().initialize(organizationId,
                        name == null ? organizationId : name);
                if (json) {
                    Map<String, String> out = new LinkedHashMap<>();
                    out.put("organizationId", organizationId);
                    out.put("apiKey", issued.token());
                    System.out.println(new ObjectMapper().writeValueAsString(out));
                } else {
                    System.out.println("Organization: " + organizationId);
                    System.out.println("Instance owner API key (shown once, store it safely): " + issued.token());
                }
            }
            return 0;
        }
    }
}
