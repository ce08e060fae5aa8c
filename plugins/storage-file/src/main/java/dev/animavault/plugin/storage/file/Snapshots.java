package dev.animavault.plugin.storage.file;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Single-instant snapshots of a served file store, for {@code anima-vault backup} (another process, or
 * another part of this one, that may not touch the {@code .lock} file). The protocol is files only:
 * <ol>
 *   <li>while a backend serves the store, {@value #SERVING} holds {@code <pid>@<host>} (removed on close;
 *       a stale one after a crash names a dead pid);</li>
 *   <li>the backup tool writes {@value #REQUEST} (atomically) holding a name {@code [a-z0-9-]{1,40}};</li>
 *   <li>this watcher (one daemon thread, polling every {@value #POLL_MS} ms) takes the store's write gate
 *       exclusively (every write holds it shared), so no write is in flight; hard-links every store file
 *       into {@code .snapshot-<name>/} with the same layout; releases the gate; writes
 *       {@code .snapshot-<name>/.done} and deletes the request;</li>
 *   <li>the tool copies {@code .snapshot-<name>/} and deletes it.</li>
 * </ol>
 * Hard links are a valid snapshot because the store never changes a file in place: every write makes a
 * new file and renames it over the old name, so a linked inode keeps the content it had at the instant
 * of the snapshot. Writers pause only for the linking (one {@code link(2)} per file, no data copied).
 * Snapshot directories left by a crash are removed when the store opens.
 *
 * <p>Thread safety: one watcher thread per open backend; {@link #close()} stops it.
 */
final class Snapshots implements AutoCloseable {

    static final String SERVING = ".serving";
    static final String REQUEST = ".snapshot-request";
    static final String PREFIX = ".snapshot-";
    static final String DONE = ".done";
    static final long POLL_MS = 100;
    private static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,40}");
    private static final Logger LOG = Logger.getLogger(Snapshots.class.getName());

    private final Path root;
    private final FileIo io;
    private final Lock exclusiveGate;
    private final Thread watcher;
    private volatile boolean closed;

    Snapshots(Path root, FileIo io, Lock exclusiveGate) throws IOException {
        this.root = root;
        this.io = io;
        this.exclusiveGate = exclusiveGate;
        try (DirectoryStream<Path> old = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path p : old) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    StoreFiles.deleteTree(p);
                }
            }
        }
        Files.deleteIfExists(root.resolve(REQUEST));
        writePlain(root.resolve(SERVING), StoreLock.holderLine());
        this.watcher = Thread.ofPlatform().daemon().name("file-store-snapshots").start(this::watch);
    }

    private void watch() {
        while (!closed) {
            try {
                TimeUnit.MILLISECONDS.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
            Path request = root.resolve(REQUEST);
            if (!closed && Files.exists(request, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    answer(request);
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "file store " + root + ": snapshot request failed: " + e);
                    try {
                        Files.deleteIfExists(request);
                    } catch (IOException ignored) {
                        // the next poll tries again
                    }
                }
            }
        }
    }

    private void answer(Path request) throws IOException {
        String name;
        try {
            name = Files.readString(request, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return;
        }
        if (!NAME.matcher(name).matches()) {
            Files.deleteIfExists(request);
            return;
        }
        Path dir = root.resolve(PREFIX + name);
        if (Files.exists(dir.resolve(DONE))) {
            Files.deleteIfExists(request);
            return;
        }
        long files;
        exclusiveGate.lock();
        try {
            files = link(root, dir, true);
        } finally {
            exclusiveGate.unlock();
        }
        writePlain(dir.resolve(DONE), Long.toString(files));
        Files.deleteIfExists(request);
        LOG.info(() -> "file store " + root + ": snapshot " + name + " of " + files + " files");
    }

    /** A small unframed text file (read by core's backup tool), written by rename. */
    private void writePlain(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(FileIo.TMP_PREFIX + Long.toHexString(System.nanoTime()));
        io.writeNew(tmp, text.getBytes(StandardCharsets.UTF_8));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        io.syncDir(file.getParent());
    }

    /** Hard-links every store file under {@code from} into {@code to} (directories created 0700). */
    private long link(Path from, Path to, boolean top) throws IOException {
        io.createDirectory(to);
        long n = 0;
        try (DirectoryStream<Path> children = Files.newDirectoryStream(from)) {
            for (Path c : children) {
                String name = c.getFileName().toString();
                if (name.startsWith(FileIo.TMP_PREFIX) || top && !(name.equals(FileStorageBackend.FORMAT_FILE)
                        || !name.startsWith("."))) {
                    continue; // temp files; the lock, serving and request files, the trash, other snapshots
                }
                if (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                    n += link(c, to.resolve(name), false);
                } else {
                    Files.createLink(to.resolve(name), c);
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        try {
            watcher.join(5_000);
            Files.deleteIfExists(root.resolve(SERVING));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a stale .serving names this pid, which the backup tool finds dead
        }
    }
}
