package dev.animavault.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** TOTP against RFC 6238's published vectors, the one-step window and once-only use; recovery code shape. */
class TotpTest {
    /** RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890". */
    private static final byte[] RFC_SEED = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

    @Test
    void rfc6238Sha1TestVectors() {
        long[][] vectors = {
            {59L, 94287082L}, {1111111109L, 7081804L}, {1111111111L, 14050471L},
            {1234567890L, 89005924L}, {2000000000L, 69279037L}, {20000000000L, 65353130L}};
        for (long[] v : vectors) {
            String expected = String.format("%08d", v[1]);
            assertEquals(expected, Totp.code(RFC_SEED, Totp.step(Instant.ofEpochSecond(v[0])), 8), "T=" + v[0]);
        }
        // six digits are the last six of the eight (the same truncation modulo 10^6)
        assertEquals("287082", Totp.code(RFC_SEED, Totp.step(Instant.ofEpochSecond(59)), 6));
    }

    @Test
    void aCodeMatchesItsStepAndOneStepEitherSideOnlyOnce() {
        byte[] secret = Totp.newSecret();
        assertEquals(20, secret.length);
        Instant now = Instant.parse("2026-01-01T00:00:15Z");
        long step = Totp.step(now);
        String current = Totp.code(secret, step, 6);
        String previous = Totp.code(secret, step - 1, 6);
        String next = Totp.code(secret, step + 1, 6);
        String tooOld = Totp.code(secret, step - 2, 6);
        assertEquals(OptionalLong.of(step), Totp.match(secret, current, now, -1));
        assertEquals(OptionalLong.of(step - 1), Totp.match(secret, previous, now, -1));
        assertEquals(OptionalLong.of(step + 1), Totp.match(secret, next, now, -1));
        if (!tooOld.equals(current) && !tooOld.equals(previous) && !tooOld.equals(next)) {
            assertTrue(Totp.match(secret, tooOld, now, -1).isEmpty());
        }
        // once used, a code of that step or an earlier one is refused
        assertTrue(Totp.match(secret, current, now, step).isEmpty());
        assertTrue(Totp.match(secret, previous, now, step).isEmpty());
        assertEquals(OptionalLong.of(step + 1), Totp.match(secret, next, now, step));
        assertTrue(Totp.match(secret, "12345", now, -1).isEmpty());
        assertTrue(Totp.match(secret, "abcdef", now, -1).isEmpty());
        assertTrue(Totp.match(secret, null, now, -1).isEmpty());
    }

    @Test
    void otpauthUriCarriesTheBase32SecretAndParameters() {
        String uri = Totp.otpauthUri("Anima Vault", "default/alice", RFC_SEED);
        assertEquals("otpauth://totp/Anima%20Vault:default%2Falice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                + "&issuer=Anima%20Vault&algorithm=SHA1&digits=6&period=30", uri);
    }

    @Test
    void recoveryCodesAreTenDistinctAndFoundOnlyByTheirKeyedHash() {
        List<String> codes = RecoveryCodes.generate();
        assertEquals(10, codes.size());
        assertEquals(10, new HashSet<>(codes).size());
        java.util.function.Function<byte[], byte[]> key = b -> {
            try {
                javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
                mac.init(new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256"));
                return mac.doFinal(b);
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        };
        List<String> hashes = codes.stream().map(c -> RecoveryCodes.hash(c, key)).toList();
        for (int i = 0; i < codes.size(); i++) {
            assertTrue(codes.get(i).matches("[a-z2-7]{4}(-[a-z2-7]{4}){3}"), codes.get(i));
            assertTrue(RecoveryCodes.looksLike(codes.get(i)));
            assertEquals(i, RecoveryCodes.find(hashes, codes.get(i).toUpperCase(java.util.Locale.ROOT), key));
            assertFalse(hashes.get(i).contains(RecoveryCodes.normalize(codes.get(i))));
        }
        assertEquals(-1, RecoveryCodes.find(hashes, "aaaa-aaaa-aaaa-aaaa", key));
        assertFalse(RecoveryCodes.looksLike("123456"));
    }
}
