package dev.animavault.plugin.storage.vaultwarden.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Bitwarden crypto against the known-answer vectors of Bitwarden's own SDK (bitwarden-crypto:
 * master_key.rs, enc_string/symmetric.rs), plus EncString round trips and tamper checks.
 */
class BitwardenCryptoTest {
    private static final byte[] SDK_MASTER_KEY = bytes(31, 79, 104, 226, 150, 71, 177, 90, 194, 80, 172, 209, 17, 129,
            132, 81, 138, 167, 69, 167, 254, 149, 2, 27, 39, 197, 64, 42, 22, 195, 86, 75);

    @Test
    void pbkdf2MasterKeyMatchesSdkVector() {
        byte[] key = BitwardenCrypto.masterKey("67t9b5g67$%Dh89n".toCharArray(), "test_key", Kdf.pbkdf2(10_000));
        assertArrayEquals(SDK_MASTER_KEY, key);
    }

    @Test
    void argon2idMasterKeyMatchesSdkVector() {
        byte[] key = BitwardenCrypto.masterKey("67t9b5g67$%Dh89n".toCharArray(), "test_key", Kdf.argon2id(4, 32, 2));
        assertArrayEquals(bytes(207, 240, 225, 177, 162, 19, 163, 76, 98, 106, 179, 175, 224, 9, 17, 240, 20, 147,
                237, 47, 246, 150, 141, 184, 62, 225, 131, 242, 51, 53, 225, 242), key);
    }

    @Test
    void masterPasswordHashMatchesSdkVectorsAndNormalisesTheEmail() {
        for (String email : new String[] {"test@bitwarden.com", "TEST@bitwarden.com", " test@bitwarden.com"}) {
            byte[] key = BitwardenCrypto.masterKey("asdfasdf".toCharArray(), email, Kdf.pbkdf2(100_000));
            assertEquals("wmyadRMyBZOH7P/a/ucTCbSghKgdzDpPqUnu/DAVtSw=",
                    BitwardenCrypto.masterPasswordHash(key, "asdfasdf".toCharArray()), email);
        }
        byte[] argon = BitwardenCrypto.masterKey("asdfasdf".toCharArray(), "test_salt", Kdf.argon2id(4, 32, 2));
        assertEquals("PR6UjYmjmppTYcdyTiNbAhPJuQQOmynKbdEl1oyi/iQ=",
                BitwardenCrypto.masterPasswordHash(argon, "asdfasdf".toCharArray()));
    }

    @Test
    void hkdfStretchMatchesSdkVector() {
        SymmetricKey stretched = BitwardenCrypto.stretch(SDK_MASTER_KEY);
        assertArrayEquals(bytes(111, 31, 178, 45, 238, 152, 37, 114, 143, 215, 124, 83, 135, 173, 195, 23, 142, 134,
                120, 249, 61, 132, 163, 182, 113, 197, 189, 204, 188, 21, 237, 96), stretched.encKey());
        assertArrayEquals(bytes(221, 127, 206, 234, 101, 27, 202, 38, 86, 52, 34, 28, 78, 28, 185, 16, 48, 61, 127,
                166, 209, 247, 194, 87, 232, 26, 48, 85, 193, 249, 179, 155), stretched.macKey());
    }

    @Test
    void type2SdkVectorParsesDecryptsAndFormatsBack() {
        String wire = "2.pMS6/icTQABtulw52pq2lg==|XXbxKxDTh+mWiN1HjH2N1w==|Q6PkuT+KX/axrgN9ubD5Ajk2YNwxQkgs3WJM0S0wtG8=";
        EncString enc = EncString.parse(wire);
        assertEquals(2, enc.type());
        assertArrayEquals(bytes(164, 196, 186, 254, 39, 19, 64, 0, 109, 186, 92, 57, 218, 154, 182, 150), enc.iv());
        assertEquals(wire, enc.toString());
        SymmetricKey key = SymmetricKey.fromBytes(Base64.getDecoder().decode(
                "k/6PcwG7Hm/eZfvvOvP6EqGx1JKgbzYrWwpOIHsxbJHQMpIMg5Ud94AQHduSR+XMMaFiSB+nszbO4JPXj04YwA=="));
        assertEquals("TEST", BitwardenCrypto.decryptString(enc, key));
    }

    @Test
    void type0SdkVectorDecryptsWithALegacyKeyOnly() {
        EncString enc = EncString.parse("0.NQfjHLr6za7VQVAbrpL81w==|wfrjmyJ0bfwkQlySrhw8dA==");
        SymmetricKey legacy = SymmetricKey.fromBytes(Base64.getDecoder().decode("hvBMMb1t79YssFZkpetYsM3deyVuQv4r88Uj9gvYe08="));
        assertEquals("EncryptMe!", BitwardenCrypto.decryptString(enc, legacy));
        // The same ciphertext with its MAC stripped must not open under a key that has a MAC key.
        SymmetricKey modern = SymmetricKey.fromBytes(Base64.getDecoder().decode(
                "hvBMMb1t79YssFZkpetYsM3deyVuQv4r88Uj9gvYe0+G8EwxvW3v1iywVmSl61iwzd17JW5C/ivzxSP2C9h7Tw=="));
        assertThrows(CryptoException.class, () -> BitwardenCrypto.decrypt(enc, modern));
    }

    @Test
    void type2RoundTripUsesFreshIvs() {
        SymmetricKey key = SymmetricKey.generate();
        byte[] plain = "sk-proj-🔑-\u0000".getBytes(StandardCharsets.UTF_8);
        EncString a = BitwardenCrypto.encrypt(plain, key);
        EncString b = BitwardenCrypto.encrypt(plain, key);
        assertEquals(2, a.type());
        assertNotEquals(a.toString(), b.toString());
        assertArrayEquals(plain, BitwardenCrypto.decrypt(EncString.parse(a.toString()), key));
        assertArrayEquals(new byte[0], BitwardenCrypto.decrypt(BitwardenCrypto.encrypt(new byte[0], key), key));
    }

    @Test
    void macFailureIsRefusedBeforeDecryption() {
        SymmetricKey key = SymmetricKey.generate();
        EncString enc = BitwardenCrypto.encrypt("secret".getBytes(StandardCharsets.UTF_8), key);
        byte[] data = enc.data();
        data[0] ^= 1;
        EncString tampered = EncString.aesCbcHmac(enc.iv(), data, enc.mac());
        CryptoException e = assertThrows(CryptoException.class, () -> BitwardenCrypto.decrypt(tampered, key));
        assertTrue(e.getMessage().contains("MAC"));
        assertFalse(e.getMessage().contains("secret"));
        assertThrows(CryptoException.class, () -> BitwardenCrypto.decrypt(enc, SymmetricKey.generate()));
    }

    @Test
    void rsaOaepTypes3And4RoundTrip() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair kp = g.generateKeyPair();
        byte[] orgKey = SymmetricKey.generate().toBytes();
        for (int type : new int[] {EncString.RSA_OAEP_SHA1, EncString.RSA_OAEP_SHA256}) {
            EncString enc = BitwardenCrypto.rsaEncrypt(orgKey, kp.getPublic(), type);
            assertEquals(type, EncString.parse(enc.toString()).type());
            assertArrayEquals(orgKey, BitwardenCrypto.rsaDecrypt(EncString.parse(enc.toString()), kp.getPrivate()));
        }
        // A SHA-1 ciphertext does not open as SHA-256: the MGF1 digest really follows the type.
        EncString sha1 = BitwardenCrypto.rsaEncrypt(orgKey, kp.getPublic(), EncString.RSA_OAEP_SHA1);
        EncString relabelled = EncString.rsa(EncString.RSA_OAEP_SHA256, sha1.data());
        assertThrows(CryptoException.class, () -> BitwardenCrypto.rsaDecrypt(relabelled, kp.getPrivate()));
        // Types 5 and 6 carry a trailing MAC that is ignored.
        EncString six = EncString.parse("6." + Base64.getEncoder().encodeToString(sha1.data()) + "|AAAA");
        assertArrayEquals(orgKey, BitwardenCrypto.rsaDecrypt(six, kp.getPrivate()));
    }

    @Test
    void malformedAndUnsupportedEncStringsAreRefused() {
        assertThrows(CryptoException.class, () -> EncString.parse("8.ABC"));
        assertThrows(CryptoException.class, () -> EncString.parse("7.AAAA"));
        assertThrows(CryptoException.class, () -> EncString.parse("1.AAAA|AAAA|AAAA"));
        assertThrows(CryptoException.class, () -> EncString.parse("2.AAAA|AAAA"));
        assertThrows(CryptoException.class, () -> EncString.parse("2.!!!|AAAA|AAAA"));
        assertThrows(CryptoException.class, () -> SymmetricKey.fromBytes(new byte[48]));
    }

    @Test
    void kdfDowngradesAreRefused() {
        assertThrows(CryptoException.class, () -> Kdf.pbkdf2(4999));
        assertThrows(CryptoException.class, () -> Kdf.argon2id(1, 64, 4));
        assertThrows(CryptoException.class, () -> Kdf.argon2id(3, 15, 4));
        assertThrows(CryptoException.class, () -> new Kdf(2, 600_000, 0, 0));
    }

    @Test
    void keysNeverPrintTheirBytes() {
        SymmetricKey key = SymmetricKey.generate();
        assertFalse(key.toString().contains(Base64.getEncoder().encodeToString(key.encKey())));
        assertTrue(key.toString().contains("<masked>"));
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
