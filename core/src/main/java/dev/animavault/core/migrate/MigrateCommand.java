package dev.animavault.core.migrate;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.cli.Progress;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.config.VaultConfigLoader;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code anima-vault migrate --from <config> --to <config>}: copies a vault from the storage backend of
 * one configuration file to that of another ({@link Migration}), verifies, and records a
 * {@code storage.migrate} audit event through the target configuration's audit sinks. Run it with the
 * servers of both configurations stopped (the file backend and SQLite lock their stores anyway).
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Copy every organization, identity, token, secret (all versions) and policy from one storage "
                + "backend to another; resumable; verifies by reading every value back through the target.")
public final class MigrateCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, description = "Configuration file of the source vault.")
    Path from;

    @Option(names = "--to", required = true, description = "Configuration file of the target vault (same root key).")
    Path to;

    @Option(names = "--namespace", description = "Another record namespace to copy besides core's own (sys, orgs, tokens, rotation-*) "
            + "(repeatable).")
    List<String> namespaces = List.of();

    @Option(names = "--no-verify", description = "Skip the verify pass.")
    boolean noVerify;

    @Option(names = "--progress", description = "auto (a bar on a terminal, else lines), bar, lines or none. "
            + "Default: ${DEFAULT-VALUE}.", defaultValue = "auto")
    String progress;

    @Override
    public Integer call() {
        Progress.Mode mode = switch (progress) {
            case "auto" -> Progress.detect();
            case "bar" -> Progress.Mode.BAR;
            case "lines" -> Progress.Mode.LINES;
            case "none" -> Progress.Mode.NONE;
            default -> throw new VaultException(ErrorCode.CONFIGURATION, "--progress: auto, bar, lines or none");
        };
        Migration.Stats stats = run(from, to, namespaces, !noVerify, System.getenv(), System.out, mode);
        System.out.println("migration done: " + stats);
        return 0;
    }

    /** Loads a configuration file with the process environment. */
    static VaultConfig load(Path file, Map<String, String> env) {
        Map<String, String> e = new HashMap<>(env);
        e.put("ANIMA_VAULT_CONFIG", file.toAbsolutePath().toString());
        return new VaultConfigLoader(e).load();
    }

    static Migration.Stats run(Path fromFile, Path toFile, List<String> namespaces, boolean verify,
                               Map<String, String> env, PrintStream out) {
        return run(fromFile, toFile, namespaces, verify, env, out, Progress.Mode.LINES);
    }

    /**
     * The whole command (for tests too): open both stores, copy, verify, audit. Progress and counts go
     * to {@code out}; never a value.
     */
    public static Migration.Stats run(Path fromFile, Path toFile, List<String> namespaces, boolean verify,
                                      Map<String, String> env, PrintStream out, Progress.Mode progress) {
        Clock clock = Clock.systemUTC();
        VaultConfig source = load(fromFile, env);
        VaultConfig target = load(toFile, env);
        if (source.dataDir().toAbsolutePath().normalize().equals(target.dataDir().toAbsolutePath().normalize())
                && source.storage().equals(target.storage())) {
            throw new VaultException(ErrorCode.CONFIGURATION, "--from and --to name the same store");
        }
        try (OpenedStore src = new OpenedStore(source, env, clock, false);
             OpenedStore dst = new OpenedStore(target, env, clock, true)) {
            if (!src.deploymentId.equals(dst.deploymentId)) {
                throw new VaultException(ErrorCode.CONFIGURATION, "the two configurations use different root keys ("
                        + src.rootKey.source() + ", " + dst.rootKey.source() + "): values move as ciphertext, so the "
                        + "target must use the source's root key (the keyring moves with the data)");
            }
            out.printf("migrating %s (%s) -> %s (%s)%n", src.storageType(), fromFile, dst.storageType(), toFile);
            ValueTransfer values = new ValueTransfer(src.storage.protection(), dst.storage.protection(),
                    () -> Barrier.openExisting(src.storage, src.rootKey).orElseThrow(() -> new VaultException(
                            ErrorCode.CONFIGURATION, "the source store holds secrets but no keyring")),
                    () -> Barrier.open(dst.storage, dst.rootKey, clock));
            Migration m = new Migration(src.storage, dst.storage, values, namespaces, out, progress);
            Migration.Stats stats = m.copy();
            if (verify) {
                m.verify();
            }
            Instant now = clock.instant();
            Map<String, String> details = new LinkedHashMap<>();
            details.put("from", src.storageType());
            details.put("to", dst.storageType());
            details.put("identities", Long.toString(stats.identities));
            details.put("secrets", Long.toString(stats.secrets));
            details.put("versions", Long.toString(stats.versions));
            details.put("versionsCopied", Long.toString(stats.versionsCopied));
            details.put("records", Long.toString(stats.records));
            details.put("verified", Long.toString(stats.verified));
            // one event per organization, so each organization's trail shows the move of its data
            for (String org : stats.organizationIds) {
                String id = dst.audit.newEventId(now.toEpochMilli());
                dst.audit.recordOrFail(new AuditEvent(id, now, "storage.migrate", AuditOutcome.SUCCESS, org, null,
                        null, null, "cli:migrate", id, null, null, details));
            }
            return stats;
        }
    }
}
