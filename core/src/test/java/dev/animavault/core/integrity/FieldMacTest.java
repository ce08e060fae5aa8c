package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link FieldMac#parse} decodes the MAC's base64url itself (issue 19): it must give what the JDK's url decoder
 * gives for every 43-character field, refuse what it refuses, and round-trip {@link FieldMac#format}.
 */
class FieldMacTest {

    @Test
    void parsesWhatFormatWritesAndWhatTheJdkDecoderAccepts() {
        Random random = new Random(19);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.é ";
        for (int round = 0; round < 20_000; round++) {
            byte[] mac = new byte[32];
            random.nextBytes(mac);
            FieldMac f = FieldMac.parse(FieldMac.format(7, round, mac));
            assertNotNull(f);
            assertEquals(7, f.keyId());
            assertEquals(round, f.basedOn());
            assertArrayEquals(mac, f.mac());

            char[] c = new char[43];
            for (int i = 0; i < c.length; i++) {
                c[i] = random.nextInt(20) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
                        : alphabet.charAt(random.nextInt(64));
            }
            String text = new String(c);
            byte[] jdk;
            try {
                jdk = Base64.getUrlDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                jdk = null;
            }
            FieldMac parsed = FieldMac.parse("v1.1.5." + text);
            if (jdk == null || jdk.length != 32) {
                assertNull(parsed, text);
            } else {
                assertNotNull(parsed, text);
                assertArrayEquals(jdk, parsed.mac(), text);
            }
        }
        assertNull(FieldMac.parse("v1.1.5." + "A".repeat(42)));
        assertNotNull(FieldMac.parse("v1.1.5." + "A".repeat(43) + "="));
    }
}
