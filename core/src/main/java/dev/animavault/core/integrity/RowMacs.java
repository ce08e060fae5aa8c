package dev.animavault.core.integrity;

import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes MACs into rows under the active data key's integrity key: secret metadata and identities get a
 * {@link FieldMac} in {@code _mac}, core records the 56-byte envelope before their value (see
 * {@link IntegrityStorage} for what each binds). The field lists are shared with the checks.
 */
final class RowMacs {
    private final IntegrityMacs macs;

    RowMacs(IntegrityMacs macs) {
        this.macs = macs;
    }

    private IntegrityMacs.Hasher hasher(int keyId) {
        IntegrityMacs.Hasher h = macs.take(keyId);
        if (h == null) {
            throw new IllegalStateException("the keyring holds no data key " + keyId);
        }
        return h;
    }

    static void metadataFields(IntegrityMacs.Hasher h, SecretMetadata m, long basedOn) {
        SecretRef r = m.ref();
        h.b('S').s(r.organizationId()).s(r.identityId()).s(r.key()).s(m.type()).i(m.currentVersion()).l(basedOn)
                .map(m.metadata(), IntegrityStorage.FIELD).map(m.attributes(), IntegrityStorage.FIELD);
    }

    static void identityFields(IntegrityMacs.Hasher h, Identity i, long basedOn) {
        h.b('I').s(i.organizationId()).s(i.id()).s(i.name()).b(i.disabled() ? 1 : 0).l(basedOn).map(i.metadata(), IntegrityStorage.FIELD);
    }

    /** The {@code _mac} field value for the fields {@code fields} feeds, under the active key. */
    private String activeMacField(java.util.function.Consumer<IntegrityMacs.Hasher> fields, long basedOn) {
        int keyId = macs.activeKeyId();
        IntegrityMacs.Hasher h = hasher(keyId);
        try {
            fields.accept(h);
            return FieldMac.format(keyId, basedOn, h.mac());
        } finally {
            macs.give(h);
        }
    }

    SecretMetadata macd(SecretMetadata m, long basedOn) {
        Map<String, String> a = with(m.attributes(), IntegrityStorage.FIELD,
                activeMacField(h -> metadataFields(h, m, basedOn), basedOn));
        return new SecretMetadata(m.ref(), m.type(), m.currentVersion(), m.metadata(), a, m.createdAt(), m.updatedAt(),
                m.revision());
    }

    /**
     * {@code map} with {@code key} set to {@code value}. A map of at most one other entry (a create's attributes:
     * the hint) becomes an immutable map that the record's {@code Map.copyOf} keeps as it is, instead of a
     * {@code HashMap} copied once more; the record's map never guaranteed an order.
     */
    static Map<String, String> with(Map<String, String> map, String key, String value) {
        if (map.isEmpty() || map.size() == 1 && map.containsKey(key)) {
            return Map.of(key, value);
        }
        if (map.size() == 1) {
            Map.Entry<String, String> e = map.entrySet().iterator().next();
            return Map.of(e.getKey(), e.getValue(), key, value);
        }
        Map<String, String> out = new HashMap<>(map);
        out.put(key, value);
        return out;
    }

    Identity macd(Identity i, long basedOn) {
        Map<String, String> md = new HashMap<>(i.metadata());
        md.put(IntegrityStorage.FIELD, activeMacField(h -> identityFields(h, i, basedOn), basedOn));
        return new Identity(i.organizationId(), i.id(), i.name(), md, i.disabled(), i.createdAt(), i.updatedAt(),
                i.revision());
    }

    byte[] macd(String namespace, String key, byte[] value, long basedOn) {
        int keyId = macs.activeKeyId();
        long writtenAt = System.currentTimeMillis();
        IntegrityMacs.Hasher h = hasher(keyId);
        byte[] mac;
        try {
            h.b('R').s(namespace).s(key).l(basedOn).l(writtenAt).bytes(value, 0, value.length);
            mac = h.mac();
        } finally {
            macs.give(h);
        }
        byte[] out = new byte[IntegrityStorage.ENVELOPE + value.length];
        System.arraycopy(IntegrityStorage.MAGIC, 0, out, 0, 4);
        Bytes.putInt(out, 4, keyId);
        Bytes.putLong(out, 8, basedOn);
        Bytes.putLong(out, 16, writtenAt);
        System.arraycopy(mac, 0, out, 24, mac.length);
        System.arraycopy(value, 0, out, IntegrityStorage.ENVELOPE, value.length);
        return out;
    }
}
