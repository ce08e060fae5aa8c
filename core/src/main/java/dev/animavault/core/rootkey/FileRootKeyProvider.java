package dev.animavault.core.rootkey;

import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.barrier.LegacyDeploymentIds;
import dev.animavault.core.barrier.SoftwareKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code file}: the root key in a file (base64, mode 0600), today's behaviour. A new key is staged as
 * {@code <file>.next-<keyId>} beside it; {@link #keyInUse} moves it over the file atomically, which
 * destroys the old key. Files are read on every call (calls are rare), so a node sees a key another node
 * on the same directory rotated. Thread-safe.
 */
final class FileRootKeyProvider implements RootKeyProvider, LegacyDeploymentIds {
    private static final Pattern KEY_ID = Pattern.compile("k-[0-9a-f]{16}");
    private final Path file;

    FileRootKeyProvider(Path file) {
        this.file = file.toAbsolutePath().normalize();
    }

    @Override
    public Optional<String> currentKey() {
        return read(file).map(k -> {
            try {
                return k.id();
            } finally {
                k.wipe();
            }
        });
    }

    @Override
    public synchronized String newKey() {
        SoftwareKey key = SoftwareKey.random();
        String id = key.id();
        try {
            byte[] raw = java.util.Base64.getDecoder().decode(key.encode());
            if (!RootKey.createKeyFile(staged(id), raw)) {
                throw new VaultException(ErrorCode.CONFIGURATION, "staged root key " + staged(id) + " exists already");
            }
            return id;
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot write a new root key next to " + file + ": "
                    + e.getMessage(), e);
        } finally {
            key.wipe();
        }
    }

    @Override
    public byte[] wrap(String keyId, byte[] plaintext, byte[] aad) {
        SoftwareKey key = require(keyId);
        try {
            return key.wrap(plaintext, aad);
        } finally {
            key.wipe();
        }
    }

    @Override
    public byte[] unwrap(String keyId, byte[] wrapped, byte[] aad) {
        SoftwareKey key = require(keyId);
        try {
            return key.unwrap(wrapped, aad);
        } finally {
            key.wipe();
        }
    }

    @Override
    public synchronized void keyInUse(String keyId) {
        if (!KEY_ID.matcher(keyId).matches()) {
            return;
        }
        Path staged = staged(keyId);
        if (Files.exists(staged) && find(keyId).isPresent()) {
            try {
                // the rename replaces the old key file: the old key is gone from this directory
                Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new VaultException(ErrorCode.CONFIGURATION, "cannot move the new root key " + staged + " to "
                        + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public synchronized void destroyKey(String keyId) {
        if (!KEY_ID.matcher(keyId).matches()) {
            return;
        }
        try {
            Files.deleteIfExists(staged(keyId));
            if (currentKey().filter(keyId::equals).isPresent()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot delete old root key " + keyId + " in "
                    + file.getParent() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String legacyDeploymentId(String keyId) {
        SoftwareKey key = require(keyId);
        try {
            return key.legacyDeploymentId();
        } finally {
            key.wipe();
        }
    }

    @Override
    public String describe() {
        return "file " + file;
    }

    @Override
    public void close() {
        // nothing held: files are read per call
    }

    private Path staged(String keyId) {
        return file.resolveSibling(file.getFileName() + ".next-" + keyId);
    }

    private SoftwareKey require(String keyId) {
        return find(keyId).orElseThrow(() -> new VaultException(ErrorCode.CONFIGURATION, "root key " + keyId
                + " is not in " + file + (Files.exists(file) ? " (that file holds another key: wrong root key for this data)"
                : " (missing)") + ": restore the key file from its backup"));
    }

    private Optional<SoftwareKey> find(String keyId) {
        Optional<SoftwareKey> current = read(file);
        if (current.isPresent() && current.get().id().equals(keyId)) {
            return current;
        }
        current.ifPresent(SoftwareKey::wipe);
        if (KEY_ID.matcher(keyId).matches()) {
            Optional<SoftwareKey> staged = read(staged(keyId));
            if (staged.isPresent() && staged.get().id().equals(keyId)) {
                return staged;
            }
            staged.ifPresent(SoftwareKey::wipe);
        }
        return Optional.empty();
    }

    private static Optional<SoftwareKey> read(Path path) {
        try {
            return Optional.of(SoftwareKey.decode(RootKey.readKeyFile(path), path.toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot read root key file " + path + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "FileRootKeyProvider[" + file + "]";
    }
}
