package dev.animavault.plugin.storage.file;

import static java.util.Objects.requireNonNull;

import dev.animavault.plugin.storage.file.Codec.SecretFile;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ExclusiveLockFile;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * The {@code file} storage backend: one checksummed file per identity, secret and record under one
 * directory, for deployments that want no database. See the package documentation for the layout and
 * the guarantees.
 *
 * <p>Thread safety: writes to one identity (the identity and its secrets) are serialised by one of
 * {@value StoreGuard#STRIPES} striped locks, writes to one record by another; reads take no lock (files are only
 * ever replaced by atomic renames, so a read sees the old file or the new one). Conditional writes are
 * check-then-write under the lock, which is sound because the {@link StoreLock} keeps every other
 * process out of the directory. Every write also holds a store-wide gate shared, which a single-instant
 * snapshot for a backup takes exclusively ({@link Snapshots}).
 */
final class FileStorageBackend implements StorageBackend {

    static final String IDENTITY_FILE = ".identity";
    static final String FORMAT_FILE = ".format";
    static final String FORMAT = "anima-vault file store 1\n";

    private final Path root;
    private final Path orgs;
    private final Path records;
    private final Path trash;
    private final FileIo io;
    private final StoreFiles files;
    private final ExclusiveLockFile lock;
    private final Clock clock;
    private final DirIndex index;
    /** The open check, the striped locks, the snapshot gate and the mapping of I/O failures. */
    private final StoreGuard guard;
    private final DirListing listing;
    private Snapshots snapshots;
    private final Function<Path, String> identityIdOf;
    private final Function<Path, String> leafIdOf;

    FileStorageBackend(Path root, FileIo io, ExclusiveLockFile lock, Clock clock) {
        this.root = root;
        this.orgs = root.resolve("o");
        this.records = root.resolve("r");
        this.trash = root.resolve(".trash");
        this.io = io;
        this.files = new StoreFiles(root, io);
        this.lock = lock;
        this.clock = clock;
        this.index = new DirIndex(FileTime.from(Instant.now().minusSeconds(2)));
        this.guard = new StoreGuard(root);
        this.listing = new DirListing(index, guard);
        this.identityIdOf = dir -> files.leafId(dir.resolve(IDENTITY_FILE));
        this.leafIdOf = files::leafId;
    }

    /** Prepares the directories and removes what a crash left in the trash. */
    void open() throws IOException {
        io.createDirectory(orgs);
        io.createDirectory(records);
        io.createDirectory(trash);
        Path format = root.resolve(FORMAT_FILE);
        byte[] existing = io.read(format);
        if (existing == null) {
            io.writeAtomically(format, FORMAT.getBytes(StandardCharsets.UTF_8));
        } else if (!new String(existing, StandardCharsets.UTF_8).equals(FORMAT)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the file store " + root + " has an unknown format: "
                    + new String(existing, StandardCharsets.UTF_8).trim());
        }
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(trash)) {
            for (Path p : leftovers) {
                StoreFiles.deleteTree(p);
            }
        }
        snapshots = new Snapshots(root, io, guard.snapshotLock());
    }

    Path root() {
        return root;
    }

    ExclusiveLockFile lock() {
        return lock;
    }

    @Override
    public Protection protection() {
        return Protection.NONE;
    }

    // ---------------------------------------------------------------- identities

    @Override
    public Identity createIdentity(Identity identity) {
        requireNonNull(identity, "identity is null");
        Path orgDir = orgs.resolve(Names.encode(identity.organizationId()));
        String dirName = Names.encode(identity.id());
        Path dir = orgDir.resolve(dirName);
        return guard.withIdentityLock(identity.organizationId(), identity.id(), "create identity", () -> {
            if (Files.exists(dir)) {
                if (files.readIdentity(dir) != null) {
                    throw new VaultException(ErrorCode.ALREADY_EXISTS, "identity already exists");
                }
                moveToTrash(dir); // a directory without its identity file: not a live identity
            }
            Identity stored = identity.withRevision(1);
            io.createDirectory(orgDir);
            // built aside and renamed into place: the identity appears whole or not at all
            Path tmp = orgDir.resolve(FileIo.TMP_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            io.createDirectory(tmp);
            io.writeAtomically(tmp.resolve(IDENTITY_FILE), Codec.identity(stored));
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            io.syncDir(orgDir);
            index.added(orgDir, identity.id(), dirName, identityIdOf);
            return stored;
        });
    }

    @Override
    public Optional<Identity> getIdentity(String organizationId, String identityId) {
        return guard.io(() -> Optional.ofNullable(files.readIdentity(identityDir(organizationId, identityId))), "read identity");
    }

    @Override
    public Identity updateIdentity(Identity identity, long expectedRevision) {
        requireNonNull(identity, "identity is null");
        Path dir = identityDir(identity.organizationId(), identity.id());
        return guard.withIdentityLock(identity.organizationId(), identity.id(), "update identity", () -> {
            Identity current = files.readIdentity(dir);
            if (current == null) {
                throw new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity not found");
            }
            Rules.checkRevision(current.revision(), expectedRevision);
            Identity stored = new Identity(current.organizationId(), current.id(), identity.name(), identity.metadata(),
                    identity.disabled(), current.createdAt(), identity.updatedAt(), current.revision() + 1);
            io.writeAtomically(dir.resolve(IDENTITY_FILE), Codec.identity(stored));
            return stored;
        });
    }

    @Override
    public void deleteIdentity(String organizationId, String identityId, long expectedRevision) {
        Path orgDir = orgs.resolve(Names.encode(organizationId));
        Path dir = orgDir.resolve(Names.encode(identityId));
        guard.withIdentityLock(organizationId, identityId, "delete identity", () -> {
            Identity current = files.readIdentity(dir);
            if (current == null) {
                throw new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity not found");
            }
            Rules.checkRevision(current.revision(), expectedRevision);
            // one rename removes the identity with all its secrets; the trash is emptied after
            moveToTrash(dir);
            index.removed(orgDir, identityId, identityIdOf);
            return null;
        });
    }

    @Override
    public Page<Identity> listIdentities(String organizationId, PageRequest page) {
        requireNonNull(page, "page is null");
        Path orgDir = orgs.resolve(Names.encode(organizationId));
        return listing.page(orgDir, identityIdOf, page, name -> files.readIdentity(orgDir.resolve(name)), "list identities");
    }

    // ---------------------------------------------------------------- secrets

    @Override
    public SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(firstVersion, "firstVersion is null");
        SecretRef ref = metadata.ref();
        Rules.checkVersionRef(ref, firstVersion);
        if (firstVersion.version() != metadata.currentVersion()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the first version must be the current version");
        }
        Path dir = identityDir(ref.organizationId(), ref.identityId());
        String name = Names.encode(ref.key());
        return guard.withIdentityLock(ref.organizationId(), ref.identityId(), "create secret", () -> {
            if (files.readIdentity(dir) == null) {
                throw new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity not found");
            }
            Path file = dir.resolve(name);
            if (files.readSecretFile(file) != null) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "secret already exists");
            }
            SecretMetadata stored = metadata.withRevision(1);
            io.writeAtomically(file, Codec.secret(new SecretFile(stored, List.of(firstVersion))));
            index.added(dir, ref.key(), name, leafIdOf);
            return stored;
        });
    }

    @Override
    public Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version) {
        requireNonNull(ref, "ref is null");
        requireNonNull(version, "version is null");
        SecretFile f = guard.io(() -> files.readSecretFile(secretFile(ref)), "read secret");
        if (f == null) {
            return Optional.empty();
        }
        int wanted = version.orElse(f.metadata().currentVersion());
        for (SecretVersion v : f.versions()) {
            if (v.version() == wanted) {
                return Optional.of(new StoredSecret(f.metadata(), v));
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<SecretMetadata> getSecretMetadata(SecretRef ref) {
        requireNonNull(ref, "ref is null");
        SecretFile f = guard.io(() -> files.readSecretFile(secretFile(ref)), "read secret metadata");
        return f == null ? Optional.empty() : Optional.of(f.metadata());
    }

    @Override
    public SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(newVersion, "newVersion is null");
        SecretRef ref = metadata.ref();
        Rules.checkVersionRef(ref, newVersion);
        return guard.withIdentityLock(ref.organizationId(), ref.identityId(), "add secret version", () -> {
            Path file = secretFile(ref);
            SecretFile current = files.readSecretFile(file);
            if (current == null) {
                throw new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret not found");
            }
            Rules.checkRevision(current.metadata().revision(), expectedRevision);
            int highest = current.highestVersion();
            if (newVersion.version() <= highest) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "version " + newVersion.version() + " exists");
            }
            if (newVersion.version() != highest + 1) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the new version must be " + (highest + 1));
            }
            Rules.checkCurrent(metadata.currentVersion(), newVersion.version());
            SecretMetadata stored = Rules.storedMetadata(current.metadata(), metadata);
            List<SecretVersion> versions = new ArrayList<>(current.versions());
            versions.add(newVersion);
            io.writeAtomically(file, Codec.secret(new SecretFile(stored, versions)));
            return stored;
        });
    }

    /** Rewrites the secret's file atomically under the identity lock when the version still holds {@code expected}. */
    @Override
    public boolean replaceVersionValue(SecretRef ref, int version, byte[] expected, byte[] replacement) {
        requireNonNull(ref, "ref is null");
        requireNonNull(expected, "expected is null");
        requireNonNull(replacement, "replacement is null");
        return guard.withIdentityLock(ref.organizationId(), ref.identityId(), "replace a version's value", () -> {
            Path file = secretFile(ref);
            SecretFile current = files.readSecretFile(file);
            if (current == null) {
                return false;
            }
            List<SecretVersion> versions = new ArrayList<>(current.versions());
            for (int i = 0; i < versions.size(); i++) {
                SecretVersion v = versions.get(i);
                if (v.version() == version) {
                    if (!java.util.Arrays.equals(v.value(), expected)) {
                        return false;
                    }
                    versions.set(i, new SecretVersion(ref, version, replacement, v.createdAt(), v.createdBy()));
                    io.writeAtomically(file, Codec.secret(new SecretFile(current.metadata(), versions)));
                    return true;
                }
            }
            return false;
        });
    }

    /** The secret's file rewritten without the version (atomically: a new file renamed over the old one). */
    @Override
    public boolean destroyVersion(SecretRef ref, int version) {
        requireNonNull(ref, "ref is null");
        return guard.withIdentityLock(ref.organizationId(), ref.identityId(), "destroy a version", () -> {
            Path file = secretFile(ref);
            SecretFile current = files.readSecretFile(file);
            if (current == null) {
                return false;
            }
            int currentVersion = current.metadata().currentVersion();
            if (version >= currentVersion) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "version " + version + " of secret " + ref.key()
                        + " is not below the current version " + currentVersion + " and cannot be destroyed");
            }
            List<SecretVersion> kept = new ArrayList<>(current.versions());
            if (!kept.removeIf(v -> v.version() == version)) {
                return false;
            }
            io.writeAtomically(file, Codec.secret(new SecretFile(current.metadata(), kept)));
            return true;
        });
    }

    @Override
    public SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        requireNonNull(metadata, "metadata is null");
        SecretRef ref = metadata.ref();
        return guard.withIdentityLock(ref.organizationId(), ref.identityId(), "update secret", () -> {
            Path file = secretFile(ref);
            SecretFile current = files.readSecretFile(file);
            if (current == null) {
                throw new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret not found");
            }
            Rules.checkRevision(current.metadata().revision(), expectedRevision);
            Rules.checkCurrent(metadata.currentVersion(), current.highestVersion());
            SecretMetadata stored = Rules.storedMetadata(current.metadata(), metadata);
            io.writeAtomically(file, Codec.secret(new SecretFile(stored, current.versions())));
            return stored;
        });
    }

    @Override
    public List<SecretVersion> listVersions(SecretRef ref) {
        requireNonNull(ref, "ref is null");
        SecretFile f = guard.io(() -> files.readSecretFile(secretFile(ref)), "list secret versions");
        return f == null ? List.of() : f.versions();
    }

    @Override
    public void deleteSecret(SecretRef ref, long expectedRevision) {
        requireNonNull(ref, "ref is null");
        Path dir = identityDir(ref.organizationId(), ref.identityId());
        guard.withIdentityLock(ref.organizationId(), ref.identityId(), "delete secret", () -> {
            Path file = dir.resolve(Names.encode(ref.key()));
            SecretFile current = files.readSecretFile(file);
            if (current == null) {
                throw new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret not found");
            }
            Rules.checkRevision(current.metadata().revision(), expectedRevision);
            io.delete(file);
            index.removed(dir, ref.key(), leafIdOf);
            return null;
        });
    }

    @Override
    public Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        requireNonNull(page, "page is null");
        Path dir = identityDir(organizationId, identityId);
        return listing.page(dir, leafIdOf, page, name -> {
            SecretFile f = files.readSecretFile(dir.resolve(name));
            return f == null ? null : f.metadata();
        }, "list secrets");
    }

    // ---------------------------------------------------------------- records

    @Override
    public Optional<StoredRecord> getRecord(String namespace, String key) {
        return guard.io(() -> Optional.ofNullable(files.readRecord(recordFile(namespace, key))), "read record");
    }

    @Override
    public StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        requireNonNull(value, "value is null");
        Path dir = records.resolve(Names.encode(namespace));
        String name = Names.encode(key);
        return guard.withRecordLock(namespace, key, "write record", () -> {
            Path file = dir.resolve(name);
            StoredRecord current = files.readRecord(file);
            long revision;
            if (expectedRevision == 0) {
                if (current != null) {
                    throw new VaultException(ErrorCode.ALREADY_EXISTS, "record already exists");
                }
                revision = 1;
            } else {
                if (current == null) {
                    throw new VaultException(ErrorCode.NOT_FOUND, "record not found");
                }
                Rules.checkRevision(current.revision(), expectedRevision);
                revision = current.revision() + 1;
            }
            StoredRecord stored = new StoredRecord(namespace, key, value, revision, clock.instant());
            io.createDirectory(dir);
            io.writeAtomically(file, Codec.record(stored));
            if (current == null) {
                index.added(dir, key, name, leafIdOf);
            }
            return stored;
        });
    }

    @Override
    public void deleteRecord(String namespace, String key, long expectedRevision) {
        Path dir = records.resolve(Names.encode(namespace));
        guard.withRecordLock(namespace, key, "delete record", () -> {
            Path file = dir.resolve(Names.encode(key));
            StoredRecord current = files.readRecord(file);
            if (current == null) {
                throw new VaultException(ErrorCode.NOT_FOUND, "record not found");
            }
            Rules.checkRevision(current.revision(), expectedRevision);
            io.delete(file);
            index.removed(dir, key, leafIdOf);
            return null;
        });
    }

    @Override
    public Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        requireNonNull(page, "page is null");
        Path dir = records.resolve(Names.encode(namespace));
        return listing.page(dir, leafIdOf, page, name -> files.readRecord(dir.resolve(name)), "list records");
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void close() {
        if (guard.close()) {
            if (snapshots != null) {
                snapshots.close();
            }
            lock.close();
        }
    }

    @Override
    public String toString() {
        return "FileStorageBackend[" + root + ", fsync=" + io.fsync() + "]";
    }

    // ---------------------------------------------------------------- internals

    private Path identityDir(String organizationId, String identityId) {
        return orgs.resolve(Names.encode(organizationId)).resolve(Names.encode(identityId));
    }

    private Path secretFile(SecretRef ref) {
        return identityDir(ref.organizationId(), ref.identityId()).resolve(Names.encode(ref.key()));
    }

    private Path recordFile(String namespace, String key) {
        return records.resolve(Names.encode(namespace)).resolve(Names.encode(key));
    }

    private void moveToTrash(Path dir) throws IOException {
        Path target = trash.resolve(Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        io.syncDir(dir.getParent());
        io.syncDir(trash);
        index.forget(dir);
        try {
            StoreFiles.deleteTree(target);
        } catch (IOException e) {
            // emptied at the next start
        }
    }
}
