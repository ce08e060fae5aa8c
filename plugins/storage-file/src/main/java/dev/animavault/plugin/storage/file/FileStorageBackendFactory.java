package dev.animavault.plugin.storage.file;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ConfigProperty.Type;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ExclusiveLockFile;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * The {@code file} storage backend: a directory of checksummed files. Stateless; {@link #create}
 * creates the directory (0700) if needed, locks it against other processes and returns a ready
 * backend, or fails with {@code CONFIGURATION} or {@code STORAGE_UNAVAILABLE} having released the lock.
 */
public final class FileStorageBackendFactory implements StorageBackendFactory {

    static final String PATH = "path";
    static final String FSYNC = "fsync";
    /** The default store directory inside the data directory. */
    static final String DEFAULT_DIRECTORY = "store";

    private static final Logger LOG = Logger.getLogger(FileStorageBackendFactory.class.getName());

    @Override
    public String name() {
        return "file";
    }

    @Override
    public String description() {
        return "a directory of checksummed files, one per identity, secret and record (no database)";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(
                ConfigProperty.optional(PATH, Type.PATH, "",
                        "the store directory; empty for '" + DEFAULT_DIRECTORY + "' in the data directory (relative "
                                + "paths resolve there). Only one process may use it at a time"),
                ConfigProperty.optional(FSYNC, Type.BOOLEAN, "true",
                        "force every write to disk before it returns (true: survives power loss; false: "
                                + "survives a process crash, may lose the last writes on power loss; faster)"));
    }

    @Override
    public StorageBackend create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        Path dataDir = context.dataDirectory();
        Path root = config.getPath(PATH).map(dataDir::resolve).orElse(dataDir.resolve(DEFAULT_DIRECTORY))
                .toAbsolutePath().normalize();
        boolean fsync = config.getBoolean(FSYNC, true);
        return open(root, fsync, context.clock());
    }

    /** Opens (creating if needed) the store at {@code root}; used by the factory and by tools. */
    static FileStorageBackend open(Path root, boolean fsync, java.time.Clock clock) {
        boolean posix;
        FileIo io;
        try {
            Path parent = root.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            posix = Files.getFileStore(parent == null ? root : parent).supportsFileAttributeView("posix");
            io = new FileIo(fsync, posix);
            io.createDirectory(root);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot create the file store directory " + root
                    + ": " + e, e);
        }
        if (!Files.isDirectory(root)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "configuration key 'path' of storage 'file': " + root
                    + " is not a directory");
        }
        ExclusiveLockFile lock = StoreLock.acquire(root);
        try {
            FileStorageBackend backend = new FileStorageBackend(root, io, lock, clock);
            backend.open();
            LOG.info(() -> "file storage ready: " + root + (fsync ? "" : " (fsync off)") + ", locked by "
                    + lock.file());
            return backend;
        } catch (IOException e) {
            lock.close();
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot open the file store " + root + ": " + e, e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return "FileStorageBackendFactory[file]";
    }
}
