package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * The checkpoints of an audit segment: the sibling file {@code <segment>.checkpoints}, one JSON line per
 * checkpoint, {@code {"v":2,"segment":S,"lines":N,"head":"<hex SHA-256 of line N>","at":"<instant>",
 * "kind":"batch|rollover|close","mac":"<hex>"}}. The {@code mac} is
 * {@code HMAC-SHA256(key, "anima-vault/audit-checkpoint/v2|" + segment + "|" + lines + "|" + head + "|" + at
 * + "|" + kind)} under a key derived from the keyring's audit key (absent when the sink runs without one).
 * {@code rollover} is the last checkpoint of a sealed segment (a next segment must follow), {@code close}
 * the last one of a clean shutdown. Version-1 lines (no {@code v}, {@code segment} or {@code kind}; MAC
 * context {@code .../v1|lines|head|at}) were written before segments and still verify. A checkpoint
 * states "the file had N lines ending in this hash", so removing lines from the end of the audit file
 * (which the hash chain alone cannot show) contradicts the last checkpoint; the MAC makes forging a
 * checkpoint for a shortened file require the keyring.
 *
 * <p>Not thread-safe: the sink writes checkpoints under its write lock.
 */
final class AuditCheckpoints implements AutoCloseable {
    /** The purpose the checkpoint key is derived for. */
    static final String KEY_PURPOSE = "audit-file-checkpoint";
    /** Prefix of the MAC input; see the class comment. */
    static final String MAC_CONTEXT = "anima-vault/audit-checkpoint/v1|";
    /** Prefix of the version-2 MAC input. */
    static final String MAC_CONTEXT_V2 = "anima-vault/audit-checkpoint/v2|";

    /** Why a checkpoint was written. */
    enum Kind {
        /** Periodic, after a batch. */
        BATCH,
        /** The last checkpoint of a segment sealed by rollover. */
        ROLLOVER,
        /** The last checkpoint before a clean shutdown. */
        CLOSE;

        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final Mac mac;

    private AuditCheckpoints(Path path, FileChannel channel, Mac mac) {
        this.path = path;
        this.channel = channel;
        this.mac = mac;
    }

    /** The checkpoint file of an audit file. */
    static Path pathFor(Path auditFile) {
        return SegmentLayout.checkpoints(auditFile);
    }

    /** Opens (creating, mode 0600 where POSIX) the checkpoint file of {@code auditFile} for appending. */
    static AuditCheckpoints open(Path auditFile, SecretKey key) throws IOException {
        Path path = pathFor(requireNonNull(auditFile, "auditFile is null"));
        if (!Files.exists(path) && path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        return new AuditCheckpoints(path, channel, key == null ? null : mac(key));
    }

    static Mac mac(SecretKey key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable for the checkpoint key", e);
        }
    }

    /** The MAC of one checkpoint, lower-case hex. */
    static String sign(Mac mac, long lines, String head, String at) {
        mac.reset();
        return HexFormat.of().formatHex(mac.doFinal((MAC_CONTEXT + lines + "|" + head + "|" + at)
                .getBytes(StandardCharsets.UTF_8)));
    }

    /** The version-2 MAC of one checkpoint, lower-case hex. */
    static String sign(Mac mac, long segment, long lines, String head, String at, String kind) {
        mac.reset();
        return HexFormat.of().formatHex(mac.doFinal((MAC_CONTEXT_V2 + segment + "|" + lines + "|" + head + "|" + at
                + "|" + kind).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Appends a checkpoint: segment {@code segment} has {@code lines} lines, the last one hashing to
     * {@code head}.
     */
    void write(long segment, long lines, String head, Instant at, Kind kind) throws IOException {
        String when = at.toString();
        StringBuilder line = new StringBuilder(240).append("{\"v\":2,\"segment\":").append(segment)
                .append(",\"lines\":").append(lines).append(",\"head\":\"")
                .append(head).append("\",\"at\":\"").append(when).append("\",\"kind\":\"").append(kind.wire())
                .append('"');
        if (mac != null) {
            line.append(",\"mac\":\"").append(sign(mac, segment, lines, head, when, kind.wire())).append('"');
        }
        line.append("}\n");
        ByteBuffer bytes = ByteBuffer.wrap(line.toString().getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Forces the checkpoints to the device. */
    void sync() throws IOException {
        channel.force(false);
    }

    Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
