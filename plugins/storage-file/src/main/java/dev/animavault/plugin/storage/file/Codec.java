package dev.animavault.plugin.storage.file;

import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredRecord;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary payloads of the store's files (inside {@link FileIo}'s checksummed frame): length-prefixed
 * UTF-8 strings and byte arrays, maps as counted pairs, instants as seconds and nanos. Every payload
 * begins with a kind byte and carries the full ids of what it holds, so a file is self-describing
 * (hashed file names are resolved from it) and a file moved to another place is detected.
 */
final class Codec {

    static final byte IDENTITY = 'I';
    static final byte SECRET = 'S';
    static final byte RECORD = 'R';

    private Codec() {
    }

    /** A secret file: the metadata and every stored version, oldest first. */
    record SecretFile(SecretMetadata metadata, List<SecretVersion> versions) {
        int highestVersion() {
            return versions.isEmpty() ? 0 : versions.get(versions.size() - 1).version();
        }
    }

    static byte[] identity(Identity i) {
        return write(out -> {
            out.writeByte(IDENTITY);
            str(out, i.organizationId());
            str(out, i.id());
            str(out, i.name());
            map(out, i.metadata());
            out.writeBoolean(i.disabled());
            instant(out, i.createdAt());
            instant(out, i.updatedAt());
            out.writeLong(i.revision());
        });
    }

    static Identity identity(byte[] payload) {
        return read(payload, IDENTITY, in -> new Identity(str(in), str(in), str(in), map(in), in.readBoolean(),
                instant(in), instant(in), in.readLong()));
    }

    static byte[] secret(SecretFile f) {
        return write(out -> {
            SecretMetadata m = f.metadata();
            out.writeByte(SECRET);
            str(out, m.ref().organizationId());
            str(out, m.ref().identityId());
            str(out, m.ref().key());
            str(out, m.type());
            out.writeInt(m.currentVersion());
            map(out, m.metadata());
            map(out, m.attributes());
            instant(out, m.createdAt());
            instant(out, m.updatedAt());
            out.writeLong(m.revision());
            out.writeInt(f.versions().size());
            for (SecretVersion v : f.versions()) {
                out.writeInt(v.version());
                bytes(out, v.value());
                instant(out, v.createdAt());
                str(out, v.createdBy());
            }
        });
    }

    static SecretFile secret(byte[] payload) {
        return read(payload, SECRET, in -> {
            SecretRef ref = new SecretRef(str(in), str(in), str(in));
            SecretMetadata m = new SecretMetadata(ref, str(in), in.readInt(), map(in), map(in), instant(in),
                    instant(in), in.readLong());
            int n = in.readInt();
            if (n < 0 || n > 10_000_000) {
                throw new IOException("bad version count " + n);
            }
            List<SecretVersion> versions = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                versions.add(new SecretVersion(ref, in.readInt(), bytes(in), instant(in), str(in)));
            }
            return new SecretFile(m, List.copyOf(versions));
        });
    }

    static byte[] record(StoredRecord r) {
        return write(out -> {
            out.writeByte(RECORD);
            str(out, r.namespace());
            str(out, r.key());
            bytes(out, r.value());
            out.writeLong(r.revision());
            instant(out, r.updatedAt());
        });
    }

    static StoredRecord record(byte[] payload) {
        return read(payload, RECORD, in -> new StoredRecord(str(in), str(in), bytes(in), in.readLong(), instant(in)));
    }

    /** The id a payload names last among its ids (identity id, secret key, record key). */
    static String leafId(byte[] payload) {
        return read(payload, payload.length == 0 ? 0 : payload[0], in -> {
            byte kind = payload[0];
            str(in); // organization or namespace
            String second = str(in);
            return kind == SECRET ? str(in) : second;
        });
    }

    // ---------------------------------------------------------------- primitives

    @FunctionalInterface
    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static <T> T read(byte[] payload, byte kind, Reader<T> r) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload))) {
            if (in.readByte() != kind) {
                throw new IOException("wrong kind of file");
            }
            T value = r.read(in);
            if (in.available() != 0) {
                throw new IOException("trailing bytes");
            }
            return value;
        } catch (IOException | RuntimeException e) {
            throw new CorruptFileException("undecodable payload: " + e.getMessage());
        }
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        bytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String str(DataInputStream in) throws IOException {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("bad length " + n);
        }
        return in.readNBytes(n);
    }

    private static void map(DataOutputStream out, Map<String, String> m) throws IOException {
        out.writeInt(m.size());
        for (Map.Entry<String, String> e : m.entrySet()) {
            str(out, e.getKey());
            str(out, e.getValue());
        }
    }

    private static Map<String, String> map(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("bad map size " + n);
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(str(in), str(in));
        }
        return m;
    }

    private static void instant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant instant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }

    /** A file whose frame or payload does not check out: torn, truncated, edited or foreign. */
    static final class CorruptFileException extends RuntimeException {
        CorruptFileException(String message) {
            super(message, null, false, false);
        }
    }
}
