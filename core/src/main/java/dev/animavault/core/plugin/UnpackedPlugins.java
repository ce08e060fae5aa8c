package dev.animavault.core.plugin;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the directories PF4J unpacks plugin zips into in step with the zips.
 *
 * <p>PF4J unpacks {@code x.zip} to {@code x/} and later unpacks again only when the zip's modification
 * time is newer than the directory's. A zip replaced by one with an older time (a release tarball unpacked
 * over an installation, {@code cp -p}, a restored backup) would silently keep loading the old classes. So
 * each directory PF4J unpacks gets a stamp holding its zip's size and modification time; before loading, a
 * stamped directory whose stamp differs from its zip is deleted and PF4J unpacks the zip afresh. A
 * directory without a stamp was not unpacked by this vault and is never deleted (a warning names it when
 * PF4J would load it instead of the zip).
 * (A content hash would also catch a zip forged to the same size and time, but hashing the bundled ~25 MB
 * cost ~100 ms of a ~3.5 s start.)
 *
 * <p>Only a real directory named like a zip beside it, with a stamp, is ever deleted; plugin directories
 * without a zip, unstamped directories and symbolic links are left alone.
 */
final class UnpackedPlugins {
    static final String STAMP = ".anima-vault-zip";
    private static final System.Logger LOG = System.getLogger(UnpackedPlugins.class.getName());

    private final Map<Path, String> stamps = new LinkedHashMap<>();

    private UnpackedPlugins() {
    }

    /**
     * Deletes every directory this class stamped that no longer matches the zip beside it, and notes
     * which directories PF4J is about to unpack (absent ones, and unstamped ones older than their zip,
     * which PF4J unpacks over) so that {@link #stamp()} can stamp them.
     *
     * @throws VaultException {@code CONFIGURATION} for a zip with no name before {@code .zip}
     */
    static UnpackedPlugins dropStale(List<Path> zips) {
        UnpackedPlugins u = new UnpackedPlugins();
        for (Path zip : zips) {
            Path dir = unpackedDir(zip);
            String stamp = stampOf(zip);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                u.stamps.put(zip, stamp); // PF4J unpacks it now
                continue;
            }
            String found = readStamp(dir);
            if (stamp.equals(found)) {
                continue;
            }
            if (found != null) {
                LOG.log(System.Logger.Level.INFO, "Plugin directory {0} was unpacked from an earlier {1}: deleting "
                        + "it so the zip is unpacked again", dir, zip.getFileName());
                deleteTree(dir);
                u.stamps.put(zip, stamp);
            } else if (newerThan(zip, dir)) {
                u.stamps.put(zip, stamp); // PF4J unpacks the zip over it
            } else {
                // Not unpacked by this vault (an older version, or someone's own directory): never deleted.
                LOG.log(System.Logger.Level.WARNING, "Plugin directory {0} was not unpacked by this vault and is "
                        + "newer than {1}, so PF4J loads the directory as it is, which may be out of date: delete "
                        + "the directory to have the zip unpacked again", dir, zip.getFileName());
            }
        }
        return u;
    }

    /** Stamps the directories PF4J has unpacked (after loading) with their zip's size and time. */
    void stamp() {
        for (Map.Entry<Path, String> e : stamps.entrySet()) {
            Path dir = unpackedDir(e.getKey());
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.writeString(dir.resolve(STAMP), e.getValue() + "\n", StandardCharsets.US_ASCII);
                } catch (IOException ex) {
                    // Only costs a warning and PF4J's own time check at the next start.
                    LOG.log(System.Logger.Level.WARNING, "Cannot stamp plugin directory " + dir + ": " + ex);
                }
            }
        }
    }

    private static boolean newerThan(Path zip, Path dir) {
        try {
            return Files.getLastModifiedTime(zip).compareTo(Files.getLastModifiedTime(dir)) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The directory PF4J unpacks the zip into. {@code .zip}, {@code ..zip} and {@code ...zip} are refused:
     * their "directory" would be the plugins directory itself or its parent (PF4J would unpack into it,
     * and a stale check would delete it).
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

    private static void deleteTree(Path dir) {
        try {
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
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "plugin directory " + dir + " is out of date and "
                    + "cannot be deleted (" + e + "); delete it by hand so its zip is unpacked again", e);
        }
    }
}
