package dev.animavault.spi.storage;

import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The child process of {@link ExclusiveLockFileTest}: another process taking the same lock file.
 * <ul>
 * <li>{@code hold <file> <holderLine>}: prints {@code ready} once it holds the lock, or {@code refused <message>};
 *     then holds it until its standard input ends, releases it and exits 0.</li>
 * <li>{@code try <file>}: prints {@code acquired} (and releases it) or {@code refused <message>}, exits 0.</li>
 * </ul>
 */
public final class ExclusiveLockFileChild {

    private ExclusiveLockFileChild() {
    }

    public static void main(String[] args) throws IOException {
        String mode = args[0];
        Path file = Path.of(args[1]);
        ExclusiveLockFile lock;
        try {
            lock = ExclusiveLockFile.acquire(file, mode.equals("hold") ? args[2] : "child " + ProcessHandle.current().pid());
        } catch (VaultException e) {
            System.out.println("refused " + e.errorCode() + " " + e.getMessage().replace('\n', ' '));
            System.out.flush();
            return;
        }
        if (mode.equals("try")) {
            lock.close();
            System.out.println("acquired");
            System.out.flush();
            return;
        }
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold the lock until the parent closes our standard input
        }
        lock.close();
    }
}
