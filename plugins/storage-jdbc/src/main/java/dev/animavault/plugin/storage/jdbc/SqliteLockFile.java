package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ExclusiveLockFile;
import dev.animavault.spi.storage.ExclusiveLockFile.Holder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The SQLite database's lock: an {@link ExclusiveLockFile} on {@code <database>.lock} next to it, held from the
 * backend's start to its close, because the read cache ({@link SecretReadCache}) is only coherent while this
 * process is the database's only writer, so a second Anima Vault process on the same file must not start. The
 * file holds the holder's pid; this class words the refusals for the jdbc backend's users.
 */
final class SqliteLockFile {

    private SqliteLockFile() {
    }

    /** The lock file of {@code database}: {@code <database>.lock} in the same directory. */
    static Path lockFileOf(Path database) {
        Path absolute = database.toAbsolutePath().normalize();
        Path dir = absolute.getParent();
        try {
            dir = dir.toRealPath(); // the path named in messages and logs, however the directory is reached
        } catch (IOException e) {
            // not there yet: opening the lock file will say so
        }
        return dir.resolve(absolute.getFileName() + ".lock");
    }

    /**
     * Takes the lock of {@code database}, without waiting.
     *
     * @throws VaultException {@code STORAGE_UNAVAILABLE} when another process, or another backend in this
     *                        one, holds it, or the lock file cannot be opened
     */
    static ExclusiveLockFile acquire(Path database) {
        requireNonNull(database, "database is null");
        return ExclusiveLockFile.acquire(lockFileOf(database), Long.toString(ProcessHandle.current().pid()),
                new ExclusiveLockFile.Refusals() {
                    @Override
                    public VaultException inUse(Path file, Holder holder) {
                        return SqliteLockFile.inUse(database, file, switch (holder) {
                            case Holder.ThisJvm h -> "another Anima Vault storage backend in this process";
                            case Holder.OtherCodeInThisJvm h ->
                                    "another Anima Vault process, or something else in this one,";
                            case Holder.OtherProcess h -> "another Anima Vault process"
                                    + (h.holderLine().matches("[0-9]{1,19}") ? " (pid " + h.holderLine() + ")" : "");
                        });
                    }

                    @Override
                    public VaultException cannotOpen(Path file, IOException cause) {
                        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot open the lock file " + file
                                + " of the SQLite database " + database.toAbsolutePath() + ": " + cause, cause);
                    }
                });
    }

    private static VaultException inUse(Path database, Path file, String who) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot use the SQLite database "
                + database.toAbsolutePath() + ": " + who + " is using it (its lock file " + file + " is locked). "
                + "Stop the other server, or give this one its own data directory: with the read cache on, this "
                + "process must be the database's only user");
    }
}
