package dev.animavault.core.integrity;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredRecord;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The MAC check of one stored row, as {@link IntegrityStorage} describes it: secret metadata, identities and
 * enveloped records, each checked against the MAC written with it, refusals reported to the violation
 * listener and thrown as {@code INTEGRITY_ERROR}. Holds the layer's mode ({@link #strict}: rows without a MAC
 * refused; {@code secretsEditedOutside}: secret metadata not checked). Knows nothing of replays (the
 * {@link ReplayGuard}, used by {@link IntegrityStorage}) nor of listings ({@link ListingChecks}). Thread-safe.
 */
final class RowChecks {
    private final IntegrityMacs macs;
    /**
     * Whether secret metadata is legitimately edited outside the vault, so its MAC is written but not
     * checked (a {@link dev.animavault.spi.storage.Protection#NATIVE} backend, see {@link IntegrityStorage}).
     */
    private final boolean secretsEditedOutside;
    private volatile Consumer<IntegrityStorage.Violation> onViolation = v -> { };
    /** Whether rows without a MAC are refused (the upgrade pass finished). Never goes back while running. */
    private volatile boolean strict;

    RowChecks(IntegrityMacs macs, boolean secretsEditedOutside) {
        this.macs = macs;
        this.secretsEditedOutside = secretsEditedOutside;
    }

    void onViolation(Consumer<IntegrityStorage.Violation> listener) {
        this.onViolation = listener;
    }

    boolean strict() {
        return strict;
    }

    void strict(boolean strict) {
        this.strict = strict;
    }

    boolean secretsEditedOutside() {
        return secretsEditedOutside;
    }

    VaultException refuse(String kind, String org, String identity, String key, String reason) {
        try {
            onViolation.accept(new IntegrityStorage.Violation(kind, org, identity, key, reason));
        } catch (RuntimeException ignored) {
            // the refusal stands even when the audit cannot record it
        }
        return new VaultException(ErrorCode.INTEGRITY_ERROR, "stored " + kind + " failed its integrity check ("
                + reason + "); it is not served");
    }

    // ---------------------------------------------------------------- secret metadata

    /**
     * Null when the metadata checks out, else why not. Does not consult the replay guard. {@code batch}: the
     * hashers of a page's checks (null: one taken for this row).
     */
    private String checkMetadata(SecretMetadata m, FieldMac f, Hashers batch) {
        if (secretsEditedOutside) {
            return null;
        }
        if (f == null) {
            return m.attributes().containsKey(IntegrityStorage.FIELD) ? "malformed MAC" : (strict ? "no MAC" : null);
        }
        IntegrityMacs.Hasher h = batch != null ? batch.take(f.keyId()) : macs.take(f.keyId());
        if (h == null) {
            return "MAC under unknown key " + f.keyId();
        }
        try {
            RowMacs.metadataFields(h, m, f.basedOn());
            return h.matches(f.mac(), 0) ? null : "MAC mismatch";
        } finally {
            if (batch == null) {
                macs.give(h);
            }
        }
    }

    /**
     * The hashers of one page's checks (issue 19: a cold page checks 100 rows, nearly all under one key): the
     * hasher of the last key used is kept instead of taken from and given back to its pool for every row.
     * {@link #close} gives it back. Not thread-safe (one page on one thread).
     */
    final class Hashers implements AutoCloseable {
        private IntegrityMacs.Hasher held;
        private int heldKey;

        /** A reset hasher for {@code keyId}, or null when the keyring has no such key. */
        IntegrityMacs.Hasher take(int keyId) {
            if (held != null && heldKey == keyId) {
                held.reset();
                return held;
            }
            close();
            held = macs.take(keyId);
            heldKey = keyId;
            return held;
        }

        @Override
        public void close() {
            if (held != null) {
                IntegrityMacs.Hasher h = held;
                held = null;
                macs.give(h);
            }
        }
    }

    /** The hashers for one page's {@link #verified(SecretMetadata, FieldMac, Hashers)} calls; close it after. */
    Hashers hashers() {
        return new Hashers();
    }

    SecretMetadata verified(SecretMetadata m) {
        verified(m, FieldMac.parse(m.attributes().get(IntegrityStorage.FIELD)));
        return m;
    }

    /** Throws when {@code m}, whose parsed {@code _mac} is {@code f} (null: none or malformed), fails its check. */
    void verified(SecretMetadata m, FieldMac f) {
        verified(m, f, null);
    }

    /** {@link #verified(SecretMetadata, FieldMac)} with a page's {@code batch} of hashers (null: none). */
    void verified(SecretMetadata m, FieldMac f, Hashers batch) {
        String bad = checkMetadata(m, f, batch);
        if (bad != null) {
            SecretRef r = m.ref();
            throw refuse("secret metadata", r.organizationId(), r.identityId(), r.key(), bad);
        }
    }

    // ---------------------------------------------------------------- identities

    /** The identity with its MAC checked and its {@code _mac} label removed; throws when it fails. */
    Identity verified(Identity i) {
        Map<String, String> md = i.metadata();
        String field = md.get(IntegrityStorage.FIELD);
        FieldMac f = FieldMac.parse(field);
        String bad;
        if (f == null) {
            bad = field != null ? "malformed MAC" : (strict ? "no MAC" : null);
        } else {
            IntegrityMacs.Hasher h = macs.take(f.keyId());
            if (h == null) {
                bad = "MAC under unknown key " + f.keyId();
            } else {
                try {
                    RowMacs.identityFields(h, i, f.basedOn());
                    bad = h.matches(f.mac(), 0) ? null : "MAC mismatch";
                } finally {
                    macs.give(h);
                }
            }
        }
        if (bad != null) {
            throw refuse("identity", i.organizationId(), i.id(), null, bad);
        }
        if (field == null) {
            return i;
        }
        Map<String, String> stripped;
        if (md.size() == 1) {
            stripped = Map.of(); // the MAC alone (most identities carry no labels): no copy
        } else {
            stripped = new HashMap<>(md);
            stripped.remove(IntegrityStorage.FIELD);
        }
        return new Identity(i.organizationId(), i.id(), i.name(), stripped, i.disabled(), i.createdAt(), i.updatedAt(),
                i.revision());
    }

    // ---------------------------------------------------------------- records

    static boolean enveloped(byte[] v) {
        byte[] magic = IntegrityStorage.MAGIC;
        return v.length >= IntegrityStorage.ENVELOPE && v[0] == magic[0] && v[1] == magic[1] && v[2] == magic[2]
                && v[3] == magic[3];
    }

    /** The replay tag of a stored record's envelope (0 without one). */
    static long tagOf(StoredRecord raw) {
        byte[] v = raw.value();
        return enveloped(v) ? Bytes.getLong(v, 24) : 0;
    }

    /** The record with its envelope checked and removed; throws when it fails. */
    StoredRecord verified(StoredRecord r) {
        if (!IntegrityStorage.covered(r.namespace())) {
            return r;
        }
        byte[] v = r.value();
        if (!enveloped(v)) {
            if (strict) {
                throw refuse("record", null, null, r.namespace() + "/" + r.key(), "no MAC");
            }
            return r;
        }
        int keyId = Bytes.getInt(v, 4);
        IntegrityMacs.Hasher h = macs.take(keyId);
        if (h == null) {
            throw refuse("record", null, null, r.namespace() + "/" + r.key(), "MAC under unknown key " + keyId);
        }
        int envelope = IntegrityStorage.ENVELOPE;
        try {
            h.b('R').s(r.namespace()).s(r.key()).l(Bytes.getLong(v, 8)).l(Bytes.getLong(v, 16))
                    .bytes(v, envelope, v.length - envelope);
            if (!h.matches(v, 24)) {
                throw refuse("record", null, null, r.namespace() + "/" + r.key(), "MAC mismatch");
            }
        } finally {
            macs.give(h);
        }
        return new StoredRecord(r.namespace(), r.key(), Arrays.copyOfRange(v, envelope, v.length), r.revision(),
                r.updatedAt());
    }
}
