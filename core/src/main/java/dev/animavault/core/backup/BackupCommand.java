package dev.animavault.core.backup;

import dev.animavault.core.config.VaultConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anima-vault backup <dest>}: an online backup of the configured vault (see {@link Backups}). */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Copy the store (consistently, while the server runs) and the audit trail into a new directory. "
                + "PostgreSQL: use pg_dump.")
public final class BackupCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The new backup directory (must not exist or be empty).")
    Path dest;

    @Option(names = "--include-root-key", description = "Also copy the root key (then the backup alone opens every "
            + "secret: keep it as safe as the key).")
    boolean includeRootKey;

    @Override
    public Integer call() throws IOException {
        Backups.backup(new VaultConfigLoader(System.getenv()).load(), dest, includeRootKey, System.out);
        return 0;
    }
}
