package dev.animavault.core.integrity;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.InstancePool;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;

/**
 * The MAC computation of {@link IntegrityStorage}: HMAC-SHA256 under the integrity key derived from data key
 * {@code keyId} ({@link Barrier#integrityKey}). Pooled {@link Hasher}s (a {@code Mac} and a reusable encoding
 * buffer) keep the check allocation-light: the read path encodes into the pooled buffer and compares into a
 * pooled output array. Thread-safe.
 */
final class IntegrityMacs {
    static final int MAC_BYTES = 32;

    private final Barrier barrier;
    private final ConcurrentHashMap<Integer, InstancePool<Hasher>> pools = new ConcurrentHashMap<>();

    IntegrityMacs(Barrier barrier) {
        this.barrier = barrier;
    }

    /** The key id new MACs are made with: the active data key's. */
    int activeKeyId() {
        return barrier.activeKeyId();
    }

    /** A hasher for {@code keyId}, reset; null when the keyring has no such key. Give it back with {@link #give}. */
    Hasher take(int keyId) {
        InstancePool<Hasher> pool = pools.get(keyId);
        if (pool == null) {
            SecretKey key = barrier.integrityKey(keyId).orElse(null);
            if (key == null) {
                return null;
            }
            pool = pools.computeIfAbsent(keyId, k -> new InstancePool<>(() -> new Hasher(key)));
        }
        Hasher h = pool.take();
        h.reset();
        h.keyId = keyId;
        return h;
    }

    void give(Hasher h) {
        InstancePool<Hasher> pool = pools.get(h.keyId);
        if (pool != null) {
            pool.give(h);
        }
    }

    /** Forgets keys of data keys the keyring no longer holds. */
    void retainKeys(java.util.Set<Integer> ids) {
        pools.keySet().retainAll(ids);
    }

    /**
     * A {@code Mac} and an injective encoding of the MAC'd fields into a reusable buffer. Not thread-safe
     * (one request at a time, from the pool).
     */
    static final class Hasher {
        private final Mac mac;
        private final byte[] out = new byte[MAC_BYTES];
        private byte[] buf = new byte[256];
        /** {@link #map}'s keys while it sorts them (emptied after each map). */
        private String[] keys = new String[8];
        private int len;
        private int keyId;

        Hasher(SecretKey key) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
            } catch (NoSuchAlgorithmException | InvalidKeyException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Empties the encoding buffer (the {@code Mac} is reset by every {@link #mac}/{@link #matches}). */
        void reset() {
            len = 0;
        }

        private void room(int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }

        Hasher b(int v) {
            room(1);
            buf[len++] = (byte) v;
            return this;
        }

        Hasher i(int v) {
            room(4);
            buf[len++] = (byte) (v >>> 24);
            buf[len++] = (byte) (v >>> 16);
            buf[len++] = (byte) (v >>> 8);
            buf[len++] = (byte) v;
            return this;
        }

        Hasher l(long v) {
            return i((int) (v >>> 32)).i((int) v);
        }

        /**
         * A string as its length in chars and its chars in UTF-8 (surrogates encoded one by one, as CESU-8):
         * injective, one byte per ASCII char, no encoder allocation.
         */
        Hasher s(String v) {
            if (v == null) {
                return i(-1);
            }
            int n = v.length();
            i(n);
            room(3 * n);
            for (int k = 0; k < n; k++) {
                char c = v.charAt(k);
                if (c < 0x80) {
                    buf[len++] = (byte) c;
                } else if (c < 0x800) {
                    buf[len++] = (byte) (0xC0 | (c >>> 6));
                    buf[len++] = (byte) (0x80 | (c & 0x3F));
                } else {
                    buf[len++] = (byte) (0xE0 | (c >>> 12));
                    buf[len++] = (byte) (0x80 | ((c >>> 6) & 0x3F));
                    buf[len++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return this;
        }

        /**
         * A map in key order, without the entry {@code skip}. The keys are sorted in a reused array by insertion
         * sort (label maps hold a few entries; a listed secret's attributes are its MAC and a hint, so one key
         * is left): no array and no {@code Arrays.sort} per row (issue 19: a cold page checks 100 rows).
         */
        Hasher map(Map<String, String> m, String skip) {
            int size = m.size();
            if (size == 0) {
                return i(0);
            }
            if (keys.length < size) {
                keys = new String[Math.max(size, keys.length * 2)];
            }
            String[] ks = keys;
            int n = 0;
            for (String key : m.keySet()) {
                if (key.equals(skip)) {
                    continue;
                }
                int j = n++;
                while (size <= 16 && j > 0 && ks[j - 1].compareTo(key) > 0) {
                    ks[j] = ks[j - 1];
                    j--;
                }
                ks[j] = key;
            }
            if (size > 16) {
                Arrays.sort(ks, 0, n); // insertion sort only for small maps
            }
            i(n);
            for (int k = 0; k < n; k++) {
                String key = ks[k];
                ks[k] = null;
                s(key).s(m.get(key));
            }
            return this;
        }

        /** Raw bytes with their length. */
        Hasher bytes(byte[] v, int off, int n) {
            i(n);
            room(n);
            System.arraycopy(v, off, buf, len, n);
            len += n;
            return this;
        }

        /** The MAC of what was encoded (a new array). */
        byte[] mac() {
            mac.update(buf, 0, len);
            return mac.doFinal();
        }

        /** Whether the MAC of what was encoded equals {@code expected[off, off + 32)}, in constant time. */
        boolean matches(byte[] expected, int off) {
            if (expected == null || expected.length - off < MAC_BYTES) {
                mac.reset();
                return false;
            }
            mac.update(buf, 0, len);
            try {
                mac.doFinal(out, 0);
            } catch (ShortBufferException e) {
                throw new IllegalStateException(e);
            }
            int diff = 0;
            for (int k = 0; k < MAC_BYTES; k++) {
                diff |= out[k] ^ expected[off + k];
            }
            return diff == 0;
        }
    }
}
