package dev.animavault.plugin.storage.file;

import static java.util.Objects.requireNonNull;

import dev.animavault.plugin.storage.file.Codec.CorruptFileException;
import dev.animavault.plugin.storage.file.Codec.SecretFile;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@code file} storage backend: one checksummed file per identity, secret and record under one
 * directory, for deployments that want no database. See the package documentation for the layout and
 * the guarantees.
 *
 * <p>Thread safety: writes to one identity (the identity and its secrets) are serialised by one of
 * {@value #STRIPES} striped locks, writes to one record by another; reads take no lock (files are only
 * ever replaced by atomic renames, so a read sees the old file or the new one). Conditional writes are
 * check-then-write under the lock, which is sound because the {@link StoreLock} keeps every other
 * process out of the directory.
 */
final class FileStorageBackend implements StorageBackend {

    static final int STRIPES = 1024;
    static final String IDENTITY_FILE = ".identity";
    static final String FORMAT_FILE = ".format";
    static final String FORMAT = "anima-vault file store 1\n";

    private final Path root;
    private final Path orgs;
    private final Path records;
    private final Path trash;
    private final FileIo io;
    private final StoreLock lock;
    private final Clock clock;
    private final DirIndex index;
    private final ReentrantLock[] identityLocks = newLocks();
    private final ReentrantLock[] recordLocks = newLocks();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Function<Path, String> identityIdOf;
    private final Function<Path, String> leafIdOf;

    FileStorageBackend(Path root, FileIo io, StoreLock lock, Clock clock) {
        this.root = root;
        this.orgs = root.resolve("o");
        this.records = root.resolve("r");
        this.trash = root.resolve(".trash");
        this.io = io;
        this.lock = lock;
        this.clock = clock;
        this.index = new DirIndex(FileTime.from(Instant.now().minusSeconds(2)));
        this.identityIdOf = dir -> leafId(dir.resolve(IDENTITY_FILE));
        this.leafIdOf = this::leafId;
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
                deleteTree(p);
            }
        }
    }

    Path root() {
        return root;
    }

    StoreLock lock() {
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
        return withIdentityLock(identity.organizationId(), identity.id(), "create identity", () -> {
            if (Files.exists(dir)) {
                if (readIdentity(dir) != null) {
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
        return io(() -> Optional.ofNullable(readIdentity(identityDir(organizationId, identityId))), "read identity");
    }

    @Override
    public Identity updateIdentity(Identity identity, long expectedRevision) {
        requireNonNull(identity, "identity is null");
        Path dir = identityDir(identity.organizationId(), identity.id());
        return withIdentityLock(identity.organizationId(), identity.id(), "update identity", () -> {
            Identity current = readIdentity(dir);
            if (current == null) {
                throw new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity not found");
            }
            checkRevision(current.revision(), expectedRevision);
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
        withIdentityLock(organizationId, identityId, "delete identity", () -> {
            Identity current = readIdentity(dir);
            if (current == null) {
                throw new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity not found");
            }
            checkRevision(current.revision(), expectedRevision);
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
        return list(orgDir, identityIdOf, page, name -> readIdentity(orgDir.resolve(name)), "list identities");
    }

    // ---------------------------------------------------------------- secrets

    @Override
    public SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(firstVersion, "firstVersion is null");
        SecretRef ref = metadata.ref();
        checkVersionRef(ref, firstVersion);
        if (firstVersion.version() != metadata.currentVersion()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the first version must be the current version");
        }
        Path dir = identityDir(ref.organizationId(), ref.identityId());
        String name = Names.encode(ref.key());
        return withIdentityLock(ref.organizationId(), ref.identityId(), "create secret", () -> {
            if (readIdentity(dir) == null) {
                throw new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity not found");
            }
            Path file = dir.resolve(name);
            if (readSecretFile(file) != null) {
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
        SecretFile f = io(() -> readSecretFile(secretFile(ref)), "read secret");
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
        SecretFile f = io(() -> readSecretFile(secretFile(ref)), "read secret metadata");
        return f == null ? Optional.empty() : Optional.of(f.metadata());
    }

    @Override
    public SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(newVersion, "newVersion is null");
        SecretRef ref = metadata.ref();
        checkVersionRef(ref, newVersion);
        return withIdentityLock(ref.organizationId(), ref.identityId(), "add secret version", () -> {
            Path file = secretFile(ref);
            SecretFile current = readSecretFile(file);
            if (current == null) {
                throw new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret not found");
            }
            checkRevision(current.metadata().revision(), expectedRevision);
            int highest = current.highestVersion();
            if (newVersion.version() <= highest) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "version " + newVersion.version() + " exists");
            }
            if (newVersion.version() != highest + 1) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the new version must be " + (highest + 1));
            }
            checkCurrent(metadata.currentVersion(), newVersion.version());
            SecretMetadata stored = storedMetadata(current.metadata(), metadata);
            List<SecretVersion> versions = new ArrayList<>(current.versions());
            versions.add(newVersion);
            io.writeAtomically(file, Codec.secret(new SecretFile(stored, versions)));
            return stored;
        });
    }

    @Override
    public SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        requireNonNull(metadata, "metadata is null");
        SecretRef ref = metadata.ref();
        return withIdentityLock(ref.organizationId(), ref.identityId(), "update secret", () -> {
            Path file = secretFile(ref);
            SecretFile current = readSecretFile(file);
            if (current == null) {
                throw new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret not found");
            }
            checkRevision(current.metadata().revision(), expectedRevision);
            checkCurrent(metadata.currentVersion(), current.highestVersion());
            SecretMetadata stored = storedMetadata(current.metadata(), metadata);
            io.writeAtomically(file, Codec.secret(new SecretFile(stored, current.versions())));
            return stored;
        });
    }

    @Override
    public List<SecretVersion> listVersions(SecretRef ref) {
        requireNonNull(ref, "ref is null");
        SecretFile f = io(() -> readSecretFile(secretFile(ref)), "list secret versions");
        return f == null ? List.of() : f.versions();
    }

    @Override
    public void deleteSecret(SecretRef ref, long expectedRevision) {
        requireNonNull(ref, "ref is null");
        Path dir = identityDir(ref.organizationId(), ref.identityId());
        withIdentityLock(ref.organizationId(), ref.identityId(), "delete secret", () -> {
            Path file = dir.resolve(Names.encode(ref.key()));
            SecretFile current = readSecretFile(file);
            if (current == null) {
                throw new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret not found");
            }
            checkRevision(current.metadata().revision(), expectedRevision);
            io.delete(file);
            index.removed(dir, ref.key(), leafIdOf);
            return null;
        });
    }

    @Override
    public Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        requireNonNull(page, "page is null");
        Path dir = identityDir(organizationId, identityId);
        return list(dir, leafIdOf, page, name -> {
            SecretFile f = readSecretFile(dir.resolve(name));
            return f == null ? null : f.metadata();
        }, "list secrets");
    }

    // ---------------------------------------------------------------- records

    @Override
    public Optional<StoredRecord> getRecord(String namespace, String key) {
        return io(() -> Optional.ofNullable(readRecord(recordFile(namespace, key))), "read record");
    }

    @Override
    public StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        requireNonNull(value, "value is null");
        Path dir = records.resolve(Names.encode(namespace));
        String name = Names.encode(key);
        return withLock(recordLocks[stripe(namespace, key)], "write record", () -> {
            Path file = dir.resolve(name);
            StoredRecord current = readRecord(file);
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
                checkRevision(current.revision(), expectedRevision);
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
        withLock(recordLocks[stripe(namespace, key)], "delete record", () -> {
            Path file = dir.resolve(Names.encode(key));
            StoredRecord current = readRecord(file);
            if (current == null) {
                throw new VaultException(ErrorCode.NOT_FOUND, "record not found");
            }
            checkRevision(current.revision(), expectedRevision);
            io.delete(file);
            index.removed(dir, key, leafIdOf);
            return null;
        });
    }

    @Override
    public Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        requireNonNull(page, "page is null");
        Path dir = records.resolve(Names.encode(namespace));
        return list(dir, leafIdOf, page, name -> readRecord(dir.resolve(name)), "list records");
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            lock.close();
        }
    }

    @Override
    public String toString() {
        return "FileStorageBackend[" + root + ", fsync=" + io.fsync() + "]";
    }

    // ---------------------------------------------------------------- internals

    /** The record namespaces present in the store (for backup and migration tools). */
    List<String> namespaces() {
        NavigableMap<String, String> m = io(() -> index.of(records, leafIdOfDir()), "list namespaces");
        return m == null ? List.of() : List.copyOf(m.keySet());
    }

    /** The organizations present in the store (for backup and migration tools). */
    List<String> organizations() {
        NavigableMap<String, String> m = io(() -> index.of(orgs, leafIdOfDir()), "list organizations");
        return m == null ? List.of() : List.copyOf(m.keySet());
    }

    /** Hashed namespace and organization names cannot be resolved (their directories hold no id file). */
    private static Function<Path, String> leafIdOfDir() {
        return p -> null;
    }

    private <T> Page<T> list(Path dir, Function<Path, String> hashedId, PageRequest page, IoFunction<String, T> read,
                             String what) {
        String after = page.cursor().map(FileStorageBackend::decodeCursor).orElse(null);
        return io(() -> {
            NavigableMap<String, String> ids = index.of(dir, hashedId);
            if (ids == null) {
                return Page.last(List.of());
            }
            NavigableMap<String, String> tail = after == null ? ids : ids.tailMap(after, false);
            List<T> items = new ArrayList<>(page.limit());
            String last = null;
            for (Map.Entry<String, String> e : tail.entrySet()) {
                T item = read.apply(e.getValue());
                if (item == null) {
                    continue; // removed since the listing was read
                }
                items.add(item);
                last = e.getKey();
                if (items.size() == page.limit()) {
                    break;
                }
            }
            boolean more = last != null && items.size() == page.limit() && ids.higherKey(last) != null;
            return new Page<>(items, more ? Optional.of(encodeCursor(last)) : Optional.empty());
        }, what);
    }

    private static String encodeCursor(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeCursor(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "invalid page cursor");
        }
    }

    private Path identityDir(String organizationId, String identityId) {
        return orgs.resolve(Names.encode(organizationId)).resolve(Names.encode(identityId));
    }

    private Path secretFile(SecretRef ref) {
        return identityDir(ref.organizationId(), ref.identityId()).resolve(Names.encode(ref.key()));
    }

    private Path recordFile(String namespace, String key) {
        return records.resolve(Names.encode(namespace)).resolve(Names.encode(key));
    }

    private Identity readIdentity(Path dir) throws IOException {
        Path file = dir.resolve(IDENTITY_FILE);
        byte[] payload = checked(file);
        return payload == null ? null : decoded(file, () -> Codec.identity(payload));
    }

    private SecretFile readSecretFile(Path file) throws IOException {
        byte[] payload = checked(file);
        return payload == null ? null : decoded(file, () -> Codec.secret(payload));
    }

    private StoredRecord readRecord(Path file) throws IOException {
        byte[] payload = checked(file);
        return payload == null ? null : decoded(file, () -> Codec.record(payload));
    }

    private String leafId(Path file) {
        try {
            byte[] payload = checked(file);
            return payload == null ? null : decoded(file, () -> Codec.leafId(payload));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The payload of a file, null if absent; a torn or edited file is an {@code INTEGRITY_ERROR}. */
    private byte[] checked(Path file) throws IOException {
        try {
            return io.read(file);
        } catch (CorruptFileException e) {
            throw corrupt(file, e);
        }
    }

    private <T> T decoded(Path file, Supplier<T> decode) {
        try {
            return decode.get();
        } catch (CorruptFileException | IllegalArgumentException | NullPointerException e) {
            throw corrupt(file, e);
        }
    }

    private VaultException corrupt(Path file, RuntimeException e) {
        return new VaultException(ErrorCode.INTEGRITY_ERROR, "the file store has a damaged file, refused: "
                + root.relativize(file) + " (" + e.getMessage() + "); restore it from a backup or remove it");
    }

    private void moveToTrash(Path dir) throws IOException {
        Path target = trash.resolve(Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        io.syncDir(dir.getParent());
        io.syncDir(trash);
        index.forget(dir);
        try {
            deleteTree(target);
        } catch (IOException e) {
            // emptied at the next start
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(p)) {
                for (Path c : children) {
                    deleteTree(c);
                }
            }
        }
        try {
            Files.deleteIfExists(p);
        } catch (NoSuchFileException e) {
            // gone already
        }
    }

    private static void checkRevision(long stored, long expected) {
        if (stored != expected) {
            throw new VaultException(ErrorCode.REVISION_CONFLICT, "revision conflict: expected " + expected
                    + ", stored " + stored);
        }
    }

    private static void checkCurrent(int current, int highest) {
        if (current > highest) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the current version " + current
                    + " is not stored (highest is " + highest + ")");
        }
    }

    private static void checkVersionRef(SecretRef ref, SecretVersion v) {
        if (!ref.equals(v.ref())) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the version belongs to another secret");
        }
    }

    private static SecretMetadata storedMetadata(SecretMetadata current, SecretMetadata given) {
        return new SecretMetadata(current.ref(), given.type(), given.currentVersion(), given.metadata(),
                given.attributes(), current.createdAt(), given.updatedAt(), current.revision() + 1);
    }

    @FunctionalInterface
    private interface IoFunction<A, R> {
        R apply(A a) throws IOException;
    }

    @FunctionalInterface
    private interface IoSupplier<R> {
        R get() throws IOException;
    }

    private <R> R withIdentityLock(String organizationId, String identityId, String what, IoSupplier<R> body) {
        return withLock(identityLocks[stripe(organizationId, identityId)], what, body);
    }

    private <R> R withLock(ReentrantLock l, String what, IoSupplier<R> body) {
        ensureOpen();
        l.lock();
        try {
            return io(body, what);
        } finally {
            l.unlock();
        }
    }

    private <R> R io(IoSupplier<R> body, String what) {
        ensureOpen();
        try {
            return body.get();
        } catch (IOException e) {
            throw unavailable(what, e);
        } catch (UncheckedIOException e) {
            throw unavailable(what, e.getCause());
        }
    }

    private VaultException unavailable(String what, IOException e) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "file store " + root + ": cannot " + what + ": "
                + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "the file store " + root + " is closed");
        }
    }

    private static int stripe(String a, String b) {
        int h = a.hashCode() * 31 + b.hashCode();
        h ^= h >>> 16;
        return h & (STRIPES - 1);
    }

    private static ReentrantLock[] newLocks() {
        ReentrantLock[] locks = new ReentrantLock[STRIPES];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
        return locks;
    }
}
