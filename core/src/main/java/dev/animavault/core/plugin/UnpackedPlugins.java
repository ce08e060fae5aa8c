package dev.animavault.core.plugin;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Unpacks plugin zips into the directories PF4J then loads, so that a directory is either complete or
 * absent, whenever the process is killed.
 *
 * <p>{@code x.zip} is unpacked into a hidden temporary directory {@code .x.unpacking-<random>} beside it
 * (PF4J ignores hidden entries), stamped with the zip's size and modification time, and renamed to
 * {@code x/} in one atomic move. A directory {@code x/} that is already there is first renamed away to
 * {@code .x.replaced-<random>} and deleted after the move. A crash leaves at most hidden leftovers (deleted
 * at the next start) and never a half-written {@code x/}; PF4J's own unpacking, which writes into
 * {@code x/} directly, is not used ({@link PluginRegistry} gives PF4J directories only).
 *
 * <p>When {@code x/} is there already:
 * <ul>
 *   <li>stamped with the zip's current size and time: used as it is;</li>
 *   <li>stamped otherwise (the zip was replaced, even by an older-dated one: a release tarball unpacked
 *       over an installation, {@code cp -p}, a restored backup): unpacked again;</li>
 *   <li>unstamped, but every file in it is an entry of the zip: what an interrupted unpack of an earlier
 *       version left (PF4J's, which stamped only after loading), complete or not: unpacked again;</li>
 *   <li>unstamped with files the zip does not have: someone's own directory, never deleted; a warning
 *       says PF4J loads it as it is.</li>
 * </ul>
 * (A content hash would also catch a zip forged to the same size and time, but hashing the bundled ~25 MB
 * cost ~100 ms of a ~3.5 s start.) Only real directories named like a zip beside them are ever replaced;
 * plugin directories without a zip and symbolic links are left alone.
 */
final class UnpackedPlugins {
    static final String STAMP = ".anima-vault-zip";
    static final String UNPACKING = ".unpacking-";
    static final String REPLACED = ".replaced-";
    private static final System.Logger LOG = System.getLogger(UnpackedPlugins.class.getName());

    private UnpackedPlugins() {
    }

    /**
     * Deletes what an interrupted unpack left in {@code pluginsDir}, then makes sure each zip's directory is
     * a complete, stamped unpack of the zip as it is now (or an unstamped directory of someone's own).
     *
     * @throws VaultException {@code CONFIGURATION} for a zip with no name before {@code .zip}, a zip that
     *                        cannot be read or would write outside its directory, or an I/O failure
     */
    static void prepare(Path pluginsDir, List<Path> zips) {
        deleteLeftovers(pluginsDir);
        for (Path zip : zips) {
            Path dir = unpackedDir(zip);
            String stamp = stampOf(zip);
            if (Files.isSymbolicLink(dir)) {
                continue;
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                unpack(zip, dir, stamp);
                continue;
            }
            String found = readStamp(dir);
            if (stamp.equals(found)) {
                continue;
            }
            if (found != null) {
                LOG.log(System.Logger.Level.INFO, "Plugin directory {0} was unpacked from an earlier {1}: unpacking "
                        + "the zip again", dir, zip.getFileName());
                unpack(zip, dir, stamp);
            } else if (onlyFilesOf(zip, dir)) {
                LOG.log(System.Logger.Level.INFO, "Plugin directory {0} holds no stamp but only files of {1} (an "
                        + "interrupted or earlier unpack): unpacking the zip again", dir, zip.getFileName());
                unpack(zip, dir, stamp);
            } else {
                LOG.log(System.Logger.Level.WARNING, "Plugin directory {0} was not unpacked by this vault and holds "
                        + "files {1} does not have, so it is loaded as it is, which may be out of date: delete the "
                        + "directory to have the zip unpacked again", dir, zip.getFileName());
            }
        }
    }

    /**
     * The directory a zip is unpacked into. {@code .zip}, {@code ..zip} and {@code ...zip} are refused:
     * their "directory" would be the plugins directory itself or its parent.
     */
    static Path unpackedDir(Path zip) {
        String name = zip.getFileName().toString();
        String base = name.substring(0, name.length() - ".zip".length());
        if (base.isEmpty() || base.equals(".") || base.equals("..")) {
            throw new VaultException(ErrorCode.CONFIGURATION, "plugin file '" + name + "' in " + zip.getParent()
                    + " has no name before .zip; rename or remove it");
        }
        return zip.resolveSibling(base);
    }

    /** Unpacks into a hidden temporary directory, stamps it, and moves it into place atomically. */
    private static void unpack(Path zip, Path dir, String stamp) {
        String base = dir.getFileName().toString();
        Path tmp = dir.resolveSibling("." + base + UNPACKING + UUID.randomUUID());
        try {
            Files.createDirectory(tmp);
            extract(zip, tmp);
            Files.writeString(tmp.resolve(STAMP), stamp + "\n", StandardCharsets.US_ASCII);
            Path replaced = null;
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                replaced = dir.resolveSibling("." + base + REPLACED + UUID.randomUUID());
                Files.move(dir, replaced, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            if (replaced != null) {
                try {
                    deleteTree(replaced);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "Cannot delete the replaced plugin directory " + replaced
                            + " (" + e + "); the next start deletes it");
                }
            }
        } catch (IOException | RuntimeException e) {
            try {
                if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                    deleteTree(tmp);
                }
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof VaultException ve) {
                throw ve;
            }
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot unpack plugin " + zip.getFileName() + " into "
                    + dir + ": " + e, e);
        }
    }

    private static void extract(Path zip, Path into) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> entries = z.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                Path target = into.resolve(entry.getName()).normalize();
                if (!target.startsWith(into) || target.equals(into)) {
                    throw new VaultException(ErrorCode.CONFIGURATION, "plugin " + zip.getFileName() + " has an entry "
                            + "that points outside its directory: '" + entry.getName() + "'");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = z.getInputStream(entry)) {
                    Files.copy(in, target);
                }
            }
        }
    }

    /** Whether every regular file under {@code dir} (the stamp aside) is an entry of the zip. */
    private static boolean onlyFilesOf(Path zip, Path dir) {
        Set<String> entries = new HashSet<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            z.stream().filter(e -> !e.isDirectory()).forEach(e -> entries.add(e.getName()));
        } catch (IOException e) {
            return false; // an unreadable zip is reported when it is unpacked or loaded
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> !Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS))
                    .map(f -> dir.relativize(f).toString().replace(dir.getFileSystem().getSeparator(), "/"))
                    .allMatch(entries::contains);
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    /** Deletes the hidden directories an interrupted {@link #unpack} left behind. */
    private static void deleteLeftovers(Path pluginsDir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(pluginsDir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(".") && (n.contains(UNPACKING) || n.contains(REPLACED))
                    && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        })) {
            for (Path leftover : entries) {
                LOG.log(System.Logger.Level.INFO, "Deleting {0}, left by an interrupted plugin unpack", leftover);
                deleteTree(leftover);
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot delete what an interrupted plugin unpack left "
                    + "in " + pluginsDir + " (" + e + "); delete the hidden .*" + UNPACKING + "* and .*" + REPLACED
                    + "* directories by hand", e);
        }
    }

    private static String readStamp(Path dir) {
        try {
            return Files.readString(dir.resolve(STAMP), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) { // none (NoSuchFileException) or unreadable: treated as not ours
            return null;
        }
    }

    private static String stampOf(Path zip) {
        try {
            BasicFileAttributes a = Files.readAttributes(zip, BasicFileAttributes.class);
            return "size=" + a.size() + " modified=" + a.lastModifiedTime().toInstant();
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot read plugin " + zip + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
