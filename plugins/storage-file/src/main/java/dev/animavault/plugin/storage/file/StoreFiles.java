package dev.animavault.plugin.storage.file;

import dev.animavault.plugin.storage.file.Codec.CorruptFileException;
import dev.animavault.plugin.storage.file.Codec.SecretFile;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Reads the store's typed files through {@link FileIo}'s checksummed frame and {@link Codec}: a missing
 * file is null, a torn, edited or undecodable one an {@code INTEGRITY_ERROR} naming the file relative to
 * the store (never its content). Stateless apart from its paths; thread-safe.
 */
final class StoreFiles {

    private final Path root;
    private final FileIo io;

    StoreFiles(Path root, FileIo io) {
        this.root = root;
        this.io = io;
    }

    Identity readIdentity(Path dir) throws IOException {
        Path file = dir.resolve(FileStorageBackend.IDENTITY_FILE);
        byte[] payload = checked(file);
        return payload == null ? null : decoded(file, () -> Codec.identity(payload));
    }

    SecretFile readSecretFile(Path file) throws IOException {
        byte[] payload = checked(file);
        return payload == null ? null : decoded(file, () -> Codec.secret(payload));
    }

    StoredRecord readRecord(Path file) throws IOException {
        byte[] payload = checked(file);
        return payload == null ? null : decoded(file, () -> Codec.record(payload));
    }

    String leafId(Path file) {
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
}
