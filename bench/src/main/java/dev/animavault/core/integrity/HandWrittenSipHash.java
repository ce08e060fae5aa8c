package dev.animavault.core.integrity;

/**
 * The baseline of {@link SipHashBenchmark}: the hand-written SipHash-2-4 core's replay guard used before
 * BouncyCastle's (issue 19; removed from core in the commit after 'ReplayGuard: SipHash through BouncyCastle').
 *
 * <p>As it was documented in core:
 * SipHash-2-4 (Aumasson and Bernstein), a keyed 64-bit pseudorandom function, over strings fed as their
 * UTF-16 code units (little-endian, two bytes each) after their length: the replay guard's compact key of a
 * secret ({@link ReplayGuard}). With a key nobody outside the process knows, nobody can choose names whose
 * digests collide. Immutable; thread-safe ({@link #digest} keeps its state on the stack).
 */
final class HandWrittenSipHash {
    private final long k0;
    private final long k1;

    HandWrittenSipHash(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /** The digest of {@code a}, then {@code b}, each preceded by its length (so no two pairs run together). */
    long digest(String a, String b) {
        State s = new State(k0, k1);
        s.string(a);
        s.string(b);
        return s.finish();
    }

    /** The digest of {@code a}, {@code b}, then {@code c}, each preceded by its length. */
    long digest(String a, String b, String c) {
        State s = new State(k0, k1);
        s.string(a);
        s.string(b);
        s.string(c);
        return s.finish();
    }

    /** SipHash-2-4 of the 8-byte little-endian words {@code words} (tests: the reference vectors). */
    long digestWords(long... words) {
        State s = new State(k0, k1);
        for (long w : words) {
            s.unit((char) w);
            s.unit((char) (w >>> 16));
            s.unit((char) (w >>> 32));
            s.unit((char) (w >>> 48));
        }
        return s.finish();
    }

    /** One computation; fed 16-bit units, compressed a word at a time. Escape analysis keeps it off the heap. */
    private static final class State {
        private long v0;
        private long v1;
        private long v2;
        private long v3;
        private long pending;  // units not yet compressed, little-endian
        private int units;     // units in pending (0..3)
        private long bytes;    // total bytes fed

        State(long k0, long k1) {
            v0 = k0 ^ 0x736f6d6570736575L;
            v1 = k1 ^ 0x646f72616e646f6dL;
            v2 = k0 ^ 0x6c7967656e657261L;
            v3 = k1 ^ 0x7465646279746573L;
        }

        void string(String s) {
            int n = s.length();
            unit((char) n);
            unit((char) (n >>> 16));
            for (int i = 0; i < n; i++) {
                unit(s.charAt(i));
            }
        }

        void unit(char c) {
            pending |= ((long) c) << (16 * units);
            bytes += 2;
            if (++units == 4) {
                compress(pending);
                pending = 0;
                units = 0;
            }
        }

        private void compress(long m) {
            v3 ^= m;
            round();
            round();
            v0 ^= m;
        }

        long finish() {
            long b = ((bytes & 0xff) << 56) | pending;
            compress(b);
            v2 ^= 0xff;
            round();
            round();
            round();
            round();
            return v0 ^ v1 ^ v2 ^ v3;
        }

        private void round() {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13);
            v1 ^= v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16);
            v3 ^= v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21);
            v3 ^= v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17);
            v1 ^= v2;
            v2 = Long.rotateLeft(v2, 32);
        }
    }
}
