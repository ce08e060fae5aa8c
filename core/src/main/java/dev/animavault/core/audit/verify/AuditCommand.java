package dev.animavault.core.audit.verify;

import dev.animavault.core.config.VaultConfigLoader;
import dev.animavault.spi.audit.VerifiableAuditSink;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import javax.crypto.SecretKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anima-vault audit ...}: offline tools for the audit trail. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Audit trail tools.",
        subcommands = AuditCommand.Verify.class)
public final class AuditCommand implements Callable<Integer> {
    /** Exit status when a trail does not verify. */
    public static final int EXIT_BROKEN = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /**
     * {@code anima-vault audit verify <file|dir>...}: checks hash chains and signed checkpoints; exit 0
     * when everything verifies, {@value #EXIT_BROKEN} when something does not.
     */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Verify audit files written by the file sink: the hash chain, and the signed checkpoints"
                    + " in <file>.checkpoints (truncation). With --sink, verify the trail a configured sink keeps "
                    + "itself (jdbc: every organization's chain of rows).",
                    "Names the first modified, inserted, deleted or reordered line. Exit status 0: verified; "
                            + EXIT_BROKEN + ": a file does not verify; 1: error."})
    public static final class Verify implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "<file|dir>",
                description = "Audit files, or directories whose *.jsonl files are verified.")
        List<Path> targets = new ArrayList<>();

        @Option(names = "--sink", paramLabel = "<type>", description = "Verify the trail of the configured audit "
                + "sink of this type (e.g. jdbc: the hash chain of every organization's rows, and each chain's head)."
                + " Repeatable.")
        List<String> sinks = new ArrayList<>();

        @Option(names = "--no-key", description = "Do not open the vault's keyring: check checkpoints' content "
                + "but not their signatures (for a copy of the trail without the vault's keys).")
        boolean noKey;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        private final Map<String, String> env;

        public Verify() {
            this(System.getenv());
        }

        /** With the given environment (tests). */
        public Verify(Map<String, String> env) {
            this.env = Map.copyOf(env);
        }

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (targets.isEmpty() && sinks.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "name audit files or directories, "
                        + "or --sink <type>");
            }
            boolean sinksOk = true;
            for (String type : sinks) {
                sinksOk &= verifySink(out, type);
            }
            if (targets.isEmpty()) {
                out.flush();
                return sinksOk ? 0 : EXIT_BROKEN;
            }
            List<Path> files = new ArrayList<>();
            for (Path t : targets) {
                if (Files.isDirectory(t)) {
                    try (Stream<Path> s = Files.list(t)) {
                        s.filter(p -> p.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(p))
                                .sorted().forEach(files::add);
                    }
                } else if (Files.isRegularFile(t)) {
                    files.add(t);
                } else {
                    throw new CommandLine.ParameterException(spec.commandLine(), "no such file or directory: " + t);
                }
            }
            SecretKey key = noKey ? null
                    : AuditKeys.derive(new VaultConfigLoader(env).load(), env, AuditTrailVerifier.CHECKPOINT_KEY_PURPOSE);
            boolean allOk = true;
            for (Path f : files) {
                AuditTrailVerifier.Report r = AuditTrailVerifier.verify(f, key);
                String signed = r.checkpoints() == 0 ? "no checkpoints"
                        : r.checkpoints() + " checkpoint(s)" + (r.macsChecked() ? ", signatures verified" : ", signatures not checked (--no-key)");
                if (r.ok()) {
                    out.println("OK      " + f + ": " + r.lines() + " record(s), head " + r.head() + ", " + signed);
                } else {
                    allOk = false;
                    out.println("BROKEN  " + f + ": " + r.problem().kind() + " at line " + r.problem().line() + ": "
                            + r.problem().message());
                }
            }
            if (files.isEmpty()) {
                out.println("no audit files (*.jsonl) found");
            }
            out.flush();
            return allOk && sinksOk ? 0 : EXIT_BROKEN;
        }

        private boolean verifySink(PrintWriter out, String type) {
            List<VerifiableAuditSink.ChainVerification> chains = SinkTrailVerifier.verify(
                    new VaultConfigLoader(env).load(), type);
            boolean ok = true;
            for (VerifiableAuditSink.ChainVerification c : chains) {
                String name = type + " chain '" + c.chain() + "'";
                if (c.ok()) {
                    out.println("OK      " + name + ": " + c.records() + " record(s)");
                } else {
                    ok = false;
                    out.println("BROKEN  " + name + ": at record " + c.firstBad().getAsLong() + ": " + c.problem());
                }
            }
            if (chains.isEmpty()) {
                out.println("OK      " + type + ": no records");
            }
            return ok;
        }
    }
}
