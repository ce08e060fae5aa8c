package dev.animavault.core.barrier;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntConsumer;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * The barrier between core and storage: every secret value is sealed with AES-256-GCM under the active
 * data key of the keyring before it reaches a {@code Protection.NONE} backend, with AAD binding it to
 * its organization, identity, key and version, so a value copied to another row fails to open.
 *
 * <p>The keyring (data keys, the token HMAC keys and the audit HMAC key) lives in storage as record
 * {@code sys/keyring}, sealed by the {@link RootKey}. The first node to start creates it; others read
 * it. Sealed value layout: {@code 0x01 | keyId (4 bytes, big endian) | nonce (12) | ciphertext+tag}: the
 * key id in every value lets a keyring hold several data keys, so values sealed before a rotation keep
 * opening until the re-encryption job has moved them (see {@code dev.animavault.core.keys}).
 *
 * <p>The keyring can change while the node runs (rotation here or on another node sharing the storage):
 * {@link #refresh()} reads it again when its record's revision moved; opening a value sealed under a key
 * id this node does not know refreshes once before failing. Changes are conditional writes on the
 * record's revision, so two nodes never both rotate from the same keyring.
 *
 * <p>Encryptions are counted per data key durably ({@link KeyUsage}): blocks are reserved in storage
 * before use, and a key whose count passes the configured threshold asks for a rotation.
 *
 * <p>Thread-safe.
 */
public final class Barrier {
    static final String NAMESPACE = "sys";
    static final String KEYRING = "keyring";
    private static final byte FORMAT = 1;
    private static final int HEADER = 5;

    /** The keyring in use and the MAC pools of its token keys and of its audit field keys. */
    private record State(Keyring ring, Map<Integer, InstancePool<Mac>> tokenMacs,
                         Map<Integer, InstancePool<Mac>> auditMacs) {
    }

    /** The purpose of the key audit event fields are hashed with ({@link #auditFieldMac}). */
    static final String AUDIT_FIELD_PURPOSE = "field-hmac";

    private final StorageBackend storage;
    /** Wraps and unwraps the keyring record with this node's root key provider (the root key layer). */
    private final KeyringStore store;
    private final Clock clock;
    private final boolean readOnly;
    private final KeyUsage usage;
    private volatile State state;

    private Barrier(KeyringStore store, Clock clock, Keyring ring, boolean readOnly) {
        this.storage = store.storage();
        this.store = store;
        this.clock = clock;
        this.readOnly = readOnly;
        this.usage = new KeyUsage(storage);
        this.state = state(ring);
    }

    private static State state(Keyring ring) {
        Map<Integer, InstancePool<Mac>> macs = new HashMap<>();
        for (Keyring.TokenKey t : ring.tokenKeys) {
            macs.put(t.version(), new InstancePool<>(() -> KeyDerivation.newMac(t.key())));
        }
        Map<Integer, InstancePool<Mac>> audits = new HashMap<>();
        for (Keyring.AuditKey a : ring.auditKeys) {
            SecretKey field = KeyDerivation.auditKey(a.key(), AUDIT_FIELD_PURPOSE);
            audits.put(a.version(), new InstancePool<>(() -> KeyDerivation.newMac(field)));
        }
        return new State(ring, Map.copyOf(macs), Map.copyOf(audits));
    }

    /**
     * Opens the keyring stored in {@code storage}, creating it on first start. A root key generated in
     * memory ({@link RootKey#isUnsaved()}) is saved to its file just before the new keyring is stored; with
     * a keyring already in storage such a key means the key file is missing, and nothing is written.
     *
     * @throws VaultException {@code CONFIGURATION} when the root key does not open the stored keyring, or
     *                        when the key file is missing although storage holds a keyring
     */
    public static Barrier open(StorageBackend storage, RootKey rootKey, Clock clock) {
        return open(new KeyringStore(storage, rootKey, "file", Map.of()), clock);
    }

    /**
     * Opens the keyring through {@code keyring} (whose root key provider unwraps it), creating it on first
     * start.
     *
     * @throws VaultException {@code CONFIGURATION} when the root key does not open the stored keyring
     */
    public static Barrier open(KeyringStore keyring, Clock clock) {
        byte[] plain = keyring.openOrCreate(() -> Keyring.create(clock.instant()), clock.instant());
        try {
            return new Barrier(keyring, clock, Keyring.parse(plain, keyring.state().revision()), false);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Opens the keyring already in {@code storage} without ever creating one or writing the root key
     * (for tools such as {@code audit verify}). The barrier opens values and records but refuses to seal
     * (sealing counts encryptions in storage) and to rotate.
     *
     * @return the barrier, or empty when storage holds no keyring
     * @throws VaultException {@code CONFIGURATION} when the root key does not open it
     */
    public static Optional<Barrier> openExisting(StorageBackend storage, RootKey rootKey) {
        if (rootKey.isUnsaved()) {
            return Optional.empty();
        }
        KeyringStore store = new KeyringStore(storage, rootKey, "file", Map.of());
        return store.openExisting().map(plain -> {
            try {
                return new Barrier(store, Clock.systemUTC(), Keyring.parse(plain, store.state().revision()), true);
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        });
    }

    /**
     * A key derived one-way from the keyring's audit key for {@code purpose}:
     * {@code HMAC-SHA256(auditKey, "anima-vault/audit-key/v1/" + purpose)}, as an {@code HmacSHA256} key.
     * The same on every node; reveals nothing about the audit key or the rest of the keyring.
     */
    public SecretKey deriveAuditKey(String purpose) {
        if (purpose == null || purpose.isBlank()) {
            throw new IllegalArgumentException("purpose is blank");
        }
        return KeyDerivation.auditKey(state.ring().auditKey, purpose);
    }

    /**
     * The storage integrity key of data key {@code keyId} (issue 14, tamper evidence):
     * {@code HMAC-SHA256(dataKey, "anima-vault/integrity/v1")} as an {@code HmacSHA256} key. Versioned with
     * the data key: MACs made under an older key keep verifying while its data key is in the keyring (the
     * re-encryption job re-MACs before it removes one). An unknown id refreshes the keyring once.
     *
     * @return the key, or empty when the keyring holds no data key {@code keyId}
     */
    public Optional<SecretKey> integrityKey(int keyId) {
        Keyring.DataKey key = state.ring().dataKeys.get(keyId);
        if (key == null && refresh()) {
            key = state.ring().dataKeys.get(keyId);
        }
        return key == null ? Optional.empty() : Optional.of(KeyDerivation.integrityKey(key.key()));
    }

    /**
     * HMAC-SHA256 of a sensitive audit event field (a token id, a client address) under audit key
     * {@code version}'s field key ({@code deriveAuditKey}-style derivation with purpose
     * {@value #AUDIT_FIELD_PURPOSE}, so no value hashed here can reveal another derived key).
     *
     * @return the MAC, or empty when the keyring holds no such version (after a refresh)
     */
    public Optional<byte[]> auditFieldMac(int version, byte[] data) {
        State s = state;
        InstancePool<Mac> pool = s.auditMacs().get(version);
        if (pool == null && refresh()) {
            s = state;
            pool = s.auditMacs().get(version);
        }
        return pool == null ? Optional.empty() : Optional.of(mac(pool, data));
    }

    /** The active audit key version (new events' field HMACs use it). */
    public int auditKeyVersion() {
        return state.ring().activeAuditKey().version();
    }

    /** Every audit key version the keyring holds, newest (active) first. */
    public List<Integer> auditKeyVersions() {
        return state.ring().auditKeys.stream().map(Keyring.AuditKey::version).toList();
    }

    /**
     * Adds a new audit key version that new events' field HMACs use; earlier versions stay (events hashed
     * under them stay searchable). Nothing is done when the active version is no longer
     * {@code expectedVersion}.
     *
     * @return the active audit key version afterwards
     */
    public int rotateAuditKey(int expectedVersion) {
        return change(ring -> ring.activeAuditKey().version() == expectedVersion
                ? ring.withNewAuditKey(clock.instant()) : null).activeAuditKey().version();
    }

    // ---------------------------------------------------------------- keyring changes

    /**
     * Reads the keyring record again and switches to it when its revision moved (another node rotated).
     * Cheap when nothing changed: one record read.
     *
     * @return whether the keyring changed
     */
    public boolean refresh() {
        Optional<StoredRecord> r = storage.getRecord(NAMESPACE, KEYRING);
        if (r.isEmpty() || r.get().revision() == state.ring().revision) {
            return false;
        }
        synchronized (this) {
            if (r.get().revision() <= state.ring().revision) {
                return false;
            }
            byte[] plain = store.reopen(); // the record again, opened by this node's root key provider
            try {
                state = state(Keyring.parse(plain, store.state().revision()));
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
            return true;
        }
    }

    /**
     * Adds a new data key and makes it the one new values are sealed with, unless the stored keyring's
     * active key is no longer {@code expectedActive} (another node rotated first: nothing is done).
     * Conditional on the record's revision, so of two nodes rotating at once exactly one succeeds.
     *
     * @return the active key id afterwards
     */
    public int rotateDataKey(int expectedActive) {
        return change(ring -> ring.active == expectedActive ? ring.withNewDataKey(clock.instant()) : null).active;
    }

    /**
     * Adds a new token HMAC key version that new tokens are hashed with; the older versions keep verifying
     * tokens until {@code retireOld} (null: until removed), unless the active version is no longer
     * {@code expectedVersion} (then nothing is done).
     *
     * @return the active token key version afterwards
     */
    public int rotateTokenKey(int expectedVersion, Instant retireOld) {
        return change(ring -> ring.activeTokenKey().version() == expectedVersion
                ? ring.withNewTokenKey(clock.instant(), retireOld) : null).activeTokenKey().version();
    }

    /** Removes data keys nothing references any more (never the active one). Conditional like rotation. */
    public void removeDataKeys(Set<Integer> ids) {
        change(ring -> KeyringChanges.withoutDataKeys(ring, ids));
    }

    /** Removes token key versions (never the active one). Conditional like rotation. */
    public void removeTokenKeys(Set<Integer> versions) {
        change(ring -> KeyringChanges.withoutTokenKeys(ring, versions));
    }

    // the edit returns the new plaintext, or null for "nothing to do"; retried on a concurrent change
    private Keyring change(Function<Keyring, byte[]> edit) {
        if (readOnly) {
            throw new IllegalStateException("this barrier was opened read-only");
        }
        return KeyringChanges.apply(this, store, edit);
    }

    /** The keyring in use. */
    Keyring ring() {
        return state.ring();
    }

    /**
     * Sets the encryption counting: blocks of {@code blockSize} reserved in storage, {@code onLimit}
     * told (with the key id) when a key's count reaches {@code rotateAt}.
     */
    public void configureUsage(long blockSize, long rotateAt, IntConsumer onLimit) {
        usage.configure(blockSize, rotateAt, onLimit);
    }

    /** A description of the keyring without key material. */
    public KeyringView view() {
        return KeyringView.of(state.ring(), usage.counts(), usage.rotateAt());
    }

    /** The id of the data key new values are sealed with. */
    public int activeKeyId() {
        return state.ring().active;
    }

    /** The data key ids the keyring holds. */
    public Set<Integer> dataKeyIds() {
        return state.ring().dataKeys.keySet();
    }

    /**
     * The data key id a sealed value or record names, or -1 when the bytes are not in the sealed format
     * (for instance a {@code Protection.NATIVE} backend's plaintext).
     */
    public static int keyIdOf(byte[] sealed) {
        if (sealed == null || sealed.length < HEADER || sealed[0] != FORMAT) {
            return -1;
        }
        return ByteBuffer.wrap(sealed, 1, 4).getInt();
    }

    /** Seals a secret value for the given secret version. */
    public byte[] seal(SecretRef ref, int version, byte[] plaintext) {
        return sealWith(plaintext, aad(ref, version));
    }

    /**
     * Opens a sealed value.
     *
     * @throws VaultException {@code INTEGRITY_ERROR} when the value was altered or belongs to another secret
     */
    public byte[] open(SecretRef ref, int version, byte[] sealed) {
        return openWith(sealed, aad(ref, version), "stored value of " + ref.key());
    }

    /**
     * Seals one of core's own records (a webhook signing secret, a cached access token, ...) before it is
     * stored with {@link StorageBackend#putRecord}. The AAD binds it to its namespace and key, so a sealed
     * record copied under another name fails to open. Same layout and keyring as secret values.
     */
    public byte[] sealRecord(String namespace, String key, byte[] plaintext) {
        return sealWith(plaintext, recordAad(namespace, key));
    }

    /**
     * Opens a record sealed by {@link #sealRecord}.
     *
     * @throws VaultException {@code INTEGRITY_ERROR} when the record was altered or belongs to another name
     */
    public byte[] openRecord(String namespace, String key, byte[] sealed) {
        return openWith(sealed, recordAad(namespace, key), "record " + namespace + "/" + key);
    }

    private byte[] sealWith(byte[] plaintext, byte[] aad) {
        if (readOnly) {
            throw new IllegalStateException("this barrier was opened read-only");
        }
        Keyring.DataKey key = state.ring().activeKey();
        usage.count(key.id());
        byte[] header = ByteBuffer.allocate(HEADER).put(FORMAT).putInt(key.id()).array();
        return Aead.seal(key.key(), header, plaintext, aad);
    }

    // what names the sealed thing in errors: never its content
    private byte[] openWith(byte[] sealed, byte[] aad, String what) {
        if (sealed.length < HEADER || sealed[0] != FORMAT) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, what + " has an unknown format");
        }
        int keyId = ByteBuffer.wrap(sealed, 1, 4).getInt();
        Keyring.DataKey key = state.ring().dataKeys.get(keyId);
        if (key == null && refresh()) {
            key = state.ring().dataKeys.get(keyId); // sealed by a node that rotated: this node had not seen it yet
        }
        if (key == null) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, what + " uses unknown data key " + keyId);
        }
        return Aead.open(key.key(), sealed, HEADER, aad);
    }

    /**
     * Re-seals a secret value under the active data key.
     *
     * @return the new sealed bytes, or null when it is sealed under the active key already
     */
    public byte[] reseal(SecretRef ref, int version, byte[] sealed) {
        if (keyIdOf(sealed) == activeKeyId()) {
            return null;
        }
        byte[] plain = open(ref, version, sealed);
        try {
            return seal(ref, version, plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Re-seals a record sealed by {@link #sealRecord} under the active key; null when it is already. */
    public byte[] resealRecord(String namespace, String key, byte[] sealed) {
        if (keyIdOf(sealed) == activeKeyId()) {
            return null;
        }
        byte[] plain = openRecord(namespace, key, sealed);
        try {
            return sealRecord(namespace, key, plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** HMAC-SHA256 under the active token key (issuing tokens, the verification cache). */
    public byte[] tokenMac(byte[] data) {
        State s = state;
        return mac(s.tokenMacs().get(s.ring().activeTokenKey().version()), data);
    }

    /** A token MAC and the key version it was made with. */
    public record TokenMac(int version, byte[] mac) {
        @Override
        public String toString() {
            return "TokenMac[" + version + ", <masked>]";
        }
    }

    /** HMAC-SHA256 under the active token key, with its version (one HMAC: the token check's common case). */
    public TokenMac activeTokenMac(byte[] data) {
        State s = state;
        int version = s.ring().activeTokenKey().version();
        return new TokenMac(version, mac(s.tokenMacs().get(version), data));
    }

    /** The version of the active token key. */
    public int tokenKeyVersion() {
        return state.ring().activeTokenKey().version();
    }

    /**
     * HMAC-SHA256 under token key {@code version}, if that version is still live (held and before its
     * deadline).
     */
    public Optional<byte[]> tokenMac(int version, byte[] data) {
        State s = state;
        Optional<Keyring.TokenKey> key = s.ring().tokenKeys.stream().filter(t -> t.version() == version).findFirst();
        if (key.isEmpty() && refresh()) {
            s = state;
            key = s.ring().tokenKeys.stream().filter(t -> t.version() == version).findFirst();
        }
        if (key.isEmpty() || !key.get().liveAt(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(mac(s.tokenMacs().get(version), data));
    }

    /** The live token key versions, newest (active) first. */
    public List<Integer> liveTokenKeyVersions() {
        Instant now = clock.instant();
        return state.ring().tokenKeys.stream().filter(t -> t.liveAt(now)).map(Keyring.TokenKey::version).toList();
    }

    private static byte[] mac(InstancePool<Mac> pool, byte[] data) {
        Mac m = pool.take();
        try {
            return m.doFinal(data);
        } finally {
            pool.give(m);
        }
    }

    static byte[] aad(SecretRef ref, int version) {
        byte[] o = ref.organizationId().getBytes(StandardCharsets.UTF_8);
        byte[] i = ref.identityId().getBytes(StandardCharsets.UTF_8);
        byte[] k = ref.key().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(3 + 16 + o.length + i.length + k.length)
                .put((byte) 'a').put((byte) 'v').put((byte) '1')
                .putInt(o.length).put(o).putInt(i.length).put(i).putInt(k.length).put(k).putInt(version)
                .array();
    }

    static byte[] recordAad(String namespace, String key) {
        byte[] n = namespace.getBytes(StandardCharsets.UTF_8);
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(3 + 8 + n.length + k.length)
                .put((byte) 'a').put((byte) 'v').put((byte) 'r')
                .putInt(n.length).put(n).putInt(k.length).put(k)
                .array();
    }

    @Override
    public String toString() {
        Keyring ring = state.ring();
        return "Barrier[activeKey=" + ring.active + ", keys=" + ring.dataKeys.size() + ", <masked>]";
    }
}
