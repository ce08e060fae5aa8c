package dev.animavault.core.backup;

import dev.animavault.core.config.VaultConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code anima-vault restore <backup>}: puts a backup in place for the configured (stopped) vault. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore a backup made by 'anima-vault backup' into the configured vault's (empty) store place. "
                + "Stop the server first.")
public final class RestoreCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The backup directory.")
    Path backup;

    @Override
    public Integer call() throws IOException {
        Backups.restore(new VaultConfigLoader(System.getenv()).load(), backup, System.out);
        return 0;
    }
}
