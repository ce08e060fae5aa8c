package dev.animavault.core.barrier;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The root key: 256 bits that wrap the keyring. Sources, in order: the {@code ANIMA_VAULT_ROOT_KEY}
 * environment variable (base64), else the key file (created with mode 0600 on first start).
 */
public final class RootKey {
    private static final System.Logger LOG = System.getLogger(RootKey.class.getName());
    /** Environment variable holding a base64 root key. */
    public static final String ENV = "ANIMA_VAULT_ROOT_KEY";

    private final SecretKey key;
    private final String source;

    private RootKey(byte[] raw, String source) {
        this.key = new SecretKeySpec(raw, "AES");
        this.source = source;
        Arrays.fill(raw, (byte) 0);
    }

    /** The AES key. */
    SecretKey key() {
        return key;
    }

    /** Where the key came from (for logs; never the key). */
    public String source() {
        return source;
    }

    /**
     * Loads the root key from the environment or the file, generating the file if neither exists.
     *
     * @param file the key file path
     * @param env  the process environment
     */
    public static RootKey loadOrCreate(Path file, Map<String, String> env) {
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new RootKey(decode(fromEnv.trim(), ENV), "environment " + ENV);
        }
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            checkPermissions(file);
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return new RootKey(decode(text, file.toString()), "file " + file);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot read or create root key file " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private static void create(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        byte[] text = (Base64.getEncoder().encodeToString(raw) + "\n").getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(raw, (byte) 0);
        // written to a temporary file first, then linked into place: a crash never leaves an empty key file,
        // and a concurrent creator either wins or reads a complete key
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(tmp);
            if (supportsPosix(file)) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            Files.write(tmp, text, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            try {
                Files.createLink(file, tmp);
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                if (e instanceof FileAlreadyExistsException exists) {
                    throw exists;
                }
                // no hard links on this file system: an atomic rename (may replace a racing creator's file)
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            LOG.log(System.Logger.Level.INFO, "Generated a new root key in {0} (mode 0600). Back it up: without it "
                    + "the stored secrets cannot be decrypted.", file);
        } catch (FileAlreadyExistsException e) {
            // another process created it first: use theirs
        } finally {
            Arrays.fill(text, (byte) 0);
            Files.deleteIfExists(tmp);
        }
    }

    private static boolean supportsPosix(Path file) {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static void checkPermissions(Path file) throws IOException {
        if (!supportsPosix(file)) {
            return;
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)
                || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key file " + file + " is readable or writable by "
                    + "group or others (" + PosixFilePermissions.toString(perms) + "); run chmod 600 on it");
        }
    }

    private static byte[] decode(String b64, String where) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key in " + where + " is not base64");
        }
        if (raw.length != 32) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key in " + where + " must be 32 bytes (base64 of "
                    + "256 random bits), got " + raw.length);
        }
        return raw;
    }

    @Override
    public String toString() {
        return "RootKey[" + source + ", <masked>]";
    }
}
