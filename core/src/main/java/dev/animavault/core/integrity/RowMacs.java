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

    SecretMetadata macd(SecretMetadata m, long basedOn) {
        int keyId = macs.activeKeyId();
        IntegrityMacs.Hasher h = hasher(keyId);
        byte[] mac;
        try {
            metadataFields(h, m, basedOn);
            mac = h.mac();
        } finally {
            macs.give(h);
        }
        Map<String, String> a = new HashMap<>(m.attributes());
        a.put(IntegrityStorage.FIELD, FieldMac.format(keyId, basedOn, mac));
        return new SecretMetadata(m.ref(), m.type(), m.currentVersion(), m.metadata(), a, m.createdAt(), m.updatedAt(),
                m.revision());
    }

    Identity macd(Identity i, long basedOn) {
        int keyId = macs.activeKeyId();
        IntegrityMacs.Hasher h = hasher(keyId);
        byte[] mac;
        try {
            identityFields(h, i, basedOn);
            mac = h.mac();
        } finally {
            macs.give(h);
        }
        Map<String, String> md = new HashMap<>(i.metadata());
        md.put(IntegrityStorage.FIELD, FieldMac.format(keyId, basedOn, mac));
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
