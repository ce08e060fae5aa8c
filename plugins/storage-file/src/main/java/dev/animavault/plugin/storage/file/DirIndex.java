package dev.animavault.plugin.storage.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/**
 * The sorted listing of the store's directories, kept in memory: for each directory that has been
 * listed, a sorted map from id to file name. Pagination is then a {@code tailMap} on the id plus one
 * file read per returned item, whatever the directory's size.
 *
 * <p>The directory itself stays the truth (the index is rebuilt from its names after a restart, so it
 * needs no crash safety of its own). It is coherent because this process is the store's only user (the
 * {@link StoreLock}) and every write, after changing the file system, updates the index through
 * {@link #of}: {@link ConcurrentHashMap#computeIfAbsent} makes a writer wait for a listing in progress
 * and then apply its change to it, so a change is never lost between a listing and its publication. A
 * missing directory is not cached.
 *
 * <p>Listing a directory also removes the temp files a crash left there: those older than the moment
 * the store was opened (this process holds the lock, so nobody else is writing them).
 */
final class DirIndex {

    private final ConcurrentHashMap<Path, NavigableMap<String, String>> dirs = new ConcurrentHashMap<>();
    private final FileTime openedAt;

    DirIndex(FileTime openedAt) {
        this.openedAt = openedAt;
    }

    /**
     * The sorted ids of {@code dir}, loaded on first use; null when the directory does not exist.
     *
     * @param hashedId reads the id of an entry with a hashed name from its file
     */
    NavigableMap<String, String> of(Path dir, Function<Path, String> hashedId) {
        NavigableMap<String, String> m = dirs.get(dir);
        if (m != null) {
            return m;
        }
        return dirs.computeIfAbsent(dir, d -> load(d, hashedId));
    }

    /** Forgets a directory (it was deleted or moved away). */
    void forget(Path dir) {
        dirs.remove(dir);
    }

    /** Adds an id if the directory's listing is loaded (or loads it). */
    void added(Path dir, String id, String fileName, Function<Path, String> hashedId) {
        NavigableMap<String, String> m = of(dir, hashedId);
        if (m != null) {
            m.put(id, fileName);
        }
    }

    /** Removes an id. */
    void removed(Path dir, String id, Function<Path, String> hashedId) {
        NavigableMap<String, String> m = of(dir, hashedId);
        if (m != null) {
            m.remove(id);
        }
    }

    private NavigableMap<String, String> load(Path dir, Function<Path, String> hashedId) {
        NavigableMap<String, String> m = new ConcurrentSkipListMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (name.startsWith(FileIo.TMP_PREFIX)) {
                    removeStaleTemp(p);
                    continue;
                }
                if (name.startsWith(".")) {
                    continue;
                }
                String id = Names.isHashed(name) ? hashedId.apply(p) : Names.decode(name);
                if (id != null) {
                    m.put(id, name);
                }
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    private void removeStaleTemp(Path p) {
        try {
            if (Files.getLastModifiedTime(p).compareTo(openedAt) < 0) {
                StoreFiles.deleteTree(p);
            }
        } catch (IOException e) {
            // a leftover temp file is harmless; it is retried on the next listing after a restart
        }
    }
}
