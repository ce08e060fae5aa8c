package dev.animavault.core.credential;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;

/**
 * One entry of {@link DerivedValues}' credential cache (a secret's derived value, a claim on deriving it, or a
 * refused grant) and its record format, sealed by the barrier under the cache's namespace and the record key.
 * Writes format 2; reads formats 1 and 2.
 *
 * <p>{@code ref} is null in entries of format 1; {@code derivedAt} is when the entry was written.
 */
record CacheEntry(Instant createdAt, int version, byte state, Instant until, String holder, byte[] value,
                  SecretRef ref, boolean proactive, Instant derivedAt) {
    /** A derived value, fresh until {@code until}. */
    static final byte READY = 1;
    /** A process's claim on deriving the value, held until {@code until}. */
    static final byte CLAIMED = 2;
    /** The deriver reported {@code REAUTHORIZATION_REQUIRED} for {@code version}. */
    static final byte REAUTH = 3;

    private static final byte FORMAT_1 = 1;
    /** Adds the secret's ref, whether it is refreshed ahead, and when the value was derived. */
    private static final byte FORMAT = 2;

    @Override
    public String toString() {
        return "Entry[version=" + version + ", state=" + state + ", until=" + until + "]";
    }

    /** This entry in format 2, sealed for record {@code key} of {@link DerivedValues#NAMESPACE}. */
    byte[] seal(Barrier barrier, String key) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + value.length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(createdAt.toEpochMilli());
            out.writeInt(version);
            out.writeByte(state);
            out.writeLong(until.toEpochMilli());
            out.writeUTF(holder);
            out.writeInt(value.length);
            out.write(value);
            out.writeUTF(ref.organizationId());
            out.writeUTF(ref.identityId());
            out.writeUTF(ref.key());
            out.writeBoolean(proactive);
            out.writeLong(derivedAt.toEpochMilli());
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        byte[] plain = bytes.toByteArray();
        try {
            return barrier.sealRecord(DerivedValues.NAMESPACE, key, plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Opens and parses record {@code key} of {@link DerivedValues#NAMESPACE}; {@code INTEGRITY_ERROR} if malformed. */
    static CacheEntry open(Barrier barrier, String key, StoredRecord rec) {
        byte[] plain = barrier.openRecord(DerivedValues.NAMESPACE, key, rec.value());
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
            byte format = in.readByte();
            if (format != FORMAT && format != FORMAT_1) {
                throw new VaultException(ErrorCode.INTEGRITY_ERROR, "unknown credential cache format");
            }
            Instant createdAt = Instant.ofEpochMilli(in.readLong());
            int version = in.readInt();
            byte state = in.readByte();
            Instant until = Instant.ofEpochMilli(in.readLong());
            String holder = in.readUTF();
            byte[] value = new byte[in.readInt()];
            in.readFully(value);
            if (format == FORMAT_1) {
                return new CacheEntry(createdAt, version, state, until, holder, value, null, false, until);
            }
            SecretRef ref = new SecretRef(in.readUTF(), in.readUTF(), in.readUTF());
            boolean proactive = in.readBoolean();
            Instant derivedAt = Instant.ofEpochMilli(in.readLong());
            return new CacheEntry(createdAt, version, state, until, holder, value, ref, proactive, derivedAt);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "malformed credential cache record");
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }
}
