package dev.animavault.plugin.storage.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Crash-safe file writes and checksummed reads. A file is a frame: the magic {@code AVF1}, the payload
 * length (4 bytes, big-endian), the payload, and the CRC-32C of everything before it (4 bytes). A read
 * that finds a short file, a wrong length, a wrong magic or a checksum mismatch throws
 * {@link Codec.CorruptFileException}: a torn or edited file is reported, never served.
 *
 * <p>Writes go to {@code .tmp-<random>} in the target's directory (created 0600), are forced to disk,
 * then renamed over the target ({@code rename(2)}, atomic: a reader or a crash sees the old file or the
 * new one, never a mix), and the directory is forced so the rename itself is durable. With
 * {@code fsync} off the two forces are skipped: a process crash still loses nothing (the page cache
 * survives it), a power loss may lose the last writes. Thread-safe (no state).
 */
final class FileIo {

    private static final byte[] MAGIC = "AVF1".getBytes(StandardCharsets.US_ASCII);
    private static final int OVERHEAD = MAGIC.length + 4 + 4;
    static final String TMP_PREFIX = ".tmp-";

    private final boolean fsync;
    private final boolean posix;

    FileIo(boolean fsync, boolean posix) {
        this.fsync = fsync;
        this.posix = posix;
    }

    boolean fsync() {
        return fsync;
    }

    /** The payload of {@code file}, or null when there is no such file. */
    byte[] read(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        return unframe(all);
    }

    static byte[] unframe(byte[] all) {
        if (all.length < OVERHEAD) {
            throw new Codec.CorruptFileException("file of " + all.length + " bytes is shorter than its frame");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (all[i] != MAGIC[i]) {
                throw new Codec.CorruptFileException("not a store file (bad magic)");
            }
        }
        ByteBuffer buf = ByteBuffer.wrap(all);
        int length = buf.getInt(MAGIC.length);
        if (length != all.length - OVERHEAD) {
            throw new Codec.CorruptFileException("length field says " + length + " payload bytes, the file has "
                    + (all.length - OVERHEAD) + " (torn or truncated)");
        }
        CRC32C crc = new CRC32C();
        crc.update(all, 0, all.length - 4);
        if ((int) crc.getValue() != buf.getInt(all.length - 4)) {
            throw new Codec.CorruptFileException("checksum mismatch (edited or damaged)");
        }
        byte[] payload = new byte[length];
        System.arraycopy(all, MAGIC.length + 4, payload, 0, length);
        return payload;
    }

    static byte[] frame(byte[] payload) {
        ByteBuffer buf = ByteBuffer.allocate(payload.length + OVERHEAD);
        buf.put(MAGIC).putInt(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        return buf.array();
    }

    /** Writes {@code payload} to {@code target} atomically and durably (see the class comment). */
    void writeAtomically(Path target, byte[] payload) throws IOException {
        Path dir = target.getParent();
        Path tmp = dir.resolve(TMP_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        writeNew(tmp, frame(payload));
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        syncDir(dir);
    }

    /** Creates {@code file} (0600) with {@code bytes}, forced to disk when fsync is on. */
    void writeNew(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), fileAttributes())) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (fsync) {
                ch.force(true);
            }
        }
    }

    /** Deletes a file (if there) and makes the deletion durable. */
    boolean delete(Path file) throws IOException {
        boolean deleted = Files.deleteIfExists(file);
        if (deleted) {
            syncDir(file.getParent());
        }
        return deleted;
    }

    /** Creates a directory (0700) if missing, its parents too, durably. */
    void createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createDirectory(parent);
        }
        try {
            if (posix) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException e) {
            return;
        }
        if (parent != null) {
            syncDir(parent);
        }
    }

    /** Forces a directory's entries (creations, renames, deletions) to disk when fsync is on. */
    void syncDir(Path dir) throws IOException {
        if (!fsync) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some platforms (Windows) cannot open a directory; the rename is still atomic there
            if (posix) {
                throw e;
            }
        }
    }

    private FileAttribute<?>[] fileAttributes() {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))} : new FileAttribute<?>[0];
    }
}
