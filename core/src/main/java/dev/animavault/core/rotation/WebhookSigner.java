package dev.animavault.core.rotation;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): {@code webhook-signature} is
 * {@code v1,} + base64 of HMAC-SHA256 over {@code <webhook-id>.<webhook-timestamp>.<body>}, keyed with
 * the base64-decoded part of the {@code whsec_...} secret.
 */
final class WebhookSigner {
    static final String PREFIX = "whsec_";

    private WebhookSigner() {
    }

    /** The {@code webhook-signature} header value with one signature per secret, space-separated. */
    static String sign(java.util.List<String> secrets, String id, long timestampSeconds, byte[] body) {
        StringBuilder out = new StringBuilder();
        for (String secret : secrets) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(sign(secret, id, timestampSeconds, body));
        }
        return out.toString();
    }

    /** One {@code v1,<base64>} signature. */
    static String sign(String secret, String id, long timestampSeconds, byte[] body) {
        if (!secret.startsWith(PREFIX)) {
            throw new IllegalArgumentException("signing secrets start with " + PREFIX);
        }
        byte[] key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }
}
