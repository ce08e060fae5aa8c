package dev.animavault.plugin.storage.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ExclusiveLockFile;
import dev.animavault.spi.storage.ExclusiveLockFile.Holder;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The file store's lock: an {@link ExclusiveLockFile} on {@code <store>/.lock}, held from the backend's start to
 * its close, because only one process may use a store directory (the backend's conditional writes and its listing
 * index live in that process's memory). The file holds {@code pid@host since time} of the last holder; this class
 * words the refusals for the file store's users.
 */
final class StoreLock {

    static final String FILE_NAME = ".lock";

    private StoreLock() {
    }

    /** What this process writes into the lock file: {@code <pid>@<host> since <time>}. */
    static String holderLine() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            host = "unknown-host";
        }
        return ProcessHandle.current().pid() + "@" + host + " since " + Instant.now();
    }

    /**
     * Locks {@code root} (an existing directory) without waiting.
     *
     * @throws VaultException {@code STORAGE_UNAVAILABLE} naming the holder when the store is in use
     */
    static ExclusiveLockFile acquire(Path root) {
        return ExclusiveLockFile.acquire(root.resolve(FILE_NAME), holderLine(), (file, holder) -> inUse(root, file,
                switch (holder) {
                    case Holder.ThisJvm h -> "another storage backend in this process ("
                            + ProcessHandle.current().pid() + ")";
                    case Holder.OtherCodeInThisJvm h -> "something else in this process";
                    case Holder.OtherProcess h -> "another process"
                            + (h.holderLine().isEmpty() ? "" : ", pid@host " + h.holderLine() + ",");
                }));
    }

    private static VaultException inUse(Path root, Path file, String who) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot open the file store " + root + ": "
                + who + " holds it (lock file " + file + "). Stop the other vault server or tool using this "
                + "directory, or give this one another 'path'");
    }
}
