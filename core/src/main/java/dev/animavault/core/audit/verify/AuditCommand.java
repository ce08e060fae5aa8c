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
                description = "Audit files, or directories: every trail in them (its segments <stem>.NNNNNN.jsonl in order, "
                        + "then <stem>.jsonl) is verified as one chain.")
        List<Path> targets = new ArrayList<>();

        @Option(names = "--sink", paramLabel = "<type>", description = "Verify the trail of the configured audit "
                + "sink of this type (e.g. jdbc: the hash chain of every organization's rows, and each chain's head)."
                + " Repeatable.")
        List<String> sinks = new ArrayList<>();

        @Option(names = "--no-key", description = "Do not open the vault's keyring: check checkpoints' content "
                + "but not their signatures (for a copy of the trail without the vault's keys).")
        boolean noKey;

        @Option(names = "--require-close", description = "The vault is stopped: fail (TRUNCATED) unless each trail "
                + "ends with the signed close checkpoint of a clean shutdown covering every record.")
        boolean requireClose;

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
            Map<String, List<SegmentedTrailVerifier.SegmentFile>> trails = new java.util.LinkedHashMap<>();
            for (Path t : targets) {
                if (Files.isDirectory(t)) {
                    trails.putAll(SegmentedTrailVerifier.trails(t));
                } else if (Files.isRegularFile(t)) {
                    trails.put(t.toString(), List.of(new SegmentedTrailVerifier.SegmentFile(-1, t)));
                } else {
                    throw new CommandLine.ParameterException(spec.commandLine(), "no such file or directory: " + t);
                }
            }
            SecretKey key = noKey ? null
                    : AuditKeys.derive(new VaultConfigLoader(env).load(), env, AuditTrailVerifier.CHECKPOINT_KEY_PURPOSE);
            boolean allOk = true;
            for (Map.Entry<String, List<SegmentedTrailVerifier.SegmentFile>> trail : trails.entrySet()) {
                List<SegmentedTrailVerifier.SegmentFile> segments = trail.getValue();
                if (segments.size() == 1 && segments.get(0).number() < 0) {
                    allOk &= verifyOneFile(out, segments.get(0).file(), key);
                    continue;
                }
                SegmentedTrailVerifier.TrailReport r = SegmentedTrailVerifier.verify(trail.getKey(), segments, key,
                        requireClose);
                Path name = segments.get(segments.size() - 1).file();
                String signed = r.checkpoints() == 0 ? "no checkpoints"
                        : r.checkpoints() + " checkpoint(s)" + (r.macsChecked() ? ", signatures verified" : ", signatures not checked (--no-key)");
                if (r.ok()) {
                    out.println("OK      " + name + ": " + r.lines() + " record(s) in " + r.segments() + " segment(s), head "
                            + r.head() + ", " + signed + (r.closed() ? ", closed cleanly" : ", not closed (running, or "
                            + "it crashed; records after the last checkpoint are not signed)"));
                } else {
                    allOk = false;
                    out.println("BROKEN  " + r.file() + ": " + r.problem().kind() + " at line " + r.problem().line() + ": "
                            + r.problem().message());
                }
            }
            if (trails.isEmpty()) {
                out.println("no audit files (*.jsonl) found");
            }
            out.flush();
            return allOk && sinksOk ? 0 : EXIT_BROKEN;
        }

        /** A file named alone: its own chain and checkpoints; its link to a segment before it is not checked. */
        private boolean verifyOneFile(PrintWriter out, Path f, SecretKey key) throws IOException {
            Map<String, List<SegmentedTrailVerifier.SegmentFile>> siblings = f.toAbsolutePath().getParent() == null
                    ? Map.of() : SegmentedTrailVerifier.trails(f.toAbsolutePath().getParent());
            boolean first = siblings.values().stream().filter(l -> l.stream().anyMatch(s -> s.file().getFileName()
                    .equals(f.getFileName()))).findFirst().map(l -> l.get(0).file().getFileName().equals(f.getFileName()))
                    .orElse(true);
            AuditTrailVerifier.Report r = AuditTrailVerifier.verifySegment(f, key, first ? AuditTrailVerifier.GENESIS
                    : null).report();
            String signed = r.checkpoints() == 0 ? "no checkpoints"
                    : r.checkpoints() + " checkpoint(s)" + (r.macsChecked() ? ", signatures verified" : ", signatures not checked (--no-key)");
            if (r.ok()) {
                out.println("OK      " + f + ": " + r.lines() + " record(s), head " + r.head() + ", " + signed
                        + (first ? "" : " (its link to the segment before is checked when the directory is verified)"));
                return true;
            }
            out.println("BROKEN  " + f + ": " + r.problem().kind() + " at line " + r.problem().line() + ": "
                    + r.problem().message());
            return false;
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
