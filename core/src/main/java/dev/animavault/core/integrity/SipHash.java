package dev.animavault.core.integrity;

import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.util.Pack;

/**
 * SipHash-2-4 (Aumasson and Bernstein; BouncyCastle's {@link org.bouncycastle.crypto.macs.SipHash}), a keyed
 * 64-bit pseudorandom function, over strings fed as their length (4 bytes) and their UTF-16 code units (two
 * bytes each), all little-endian: the replay guard's compact key of a secret ({@link ReplayGuard}). With a key
 * nobody outside the process knows, nobody can choose names whose digests collide. Immutable; thread-safe (each
 * digest uses its own BouncyCastle instance: those are stateful).
 */
final class SipHash {
    private final KeyParameter key;

    SipHash(long k0, long k1) {
        byte[] k = new byte[16];
        Pack.longToLittleEndian(k0, k, 0);
        Pack.longToLittleEndian(k1, k, 8);
        this.key = new KeyParameter(k);
    }

    /** The digest of {@code a}, then {@code b}, each preceded by its length (so no two pairs run together). */
    long digest(String a, String b) {
        byte[] m = new byte[8 + 2 * (a.length() + b.length())];
        put(m, put(m, 0, a), b);
        return digestBytes(m);
    }

    /** The digest of {@code a}, {@code b}, then {@code c}, each preceded by its length. */
    long digest(String a, String b, String c) {
        byte[] m = new byte[12 + 2 * (a.length() + b.length() + c.length())];
        put(m, put(m, put(m, 0, a), b), c);
        return digestBytes(m);
    }

    /** SipHash-2-4 of {@code message} (tests: the reference vectors). */
    long digestBytes(byte[] message) {
        org.bouncycastle.crypto.macs.SipHash mac = new org.bouncycastle.crypto.macs.SipHash(2, 4);
        mac.init(key);
        mac.update(message, 0, message.length);
        return mac.doFinal();
    }

    /** Writes {@code s}'s length and code units into {@code m} from {@code at}; returns the offset after them. */
    private static int put(byte[] m, int at, String s) {
        int n = s.length();
        Pack.intToLittleEndian(n, m, at);
        at += 4;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            m[at++] = (byte) c;
            m[at++] = (byte) (c >>> 8);
        }
        return at;
    }
}
