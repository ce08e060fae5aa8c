package dev.animavault.core.barrier;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;

/** Non-secret identifiers derived from the root key. */
public final class RootKeyIds {
    private RootKeyIds() {
    }

    /** A stable deployment id: the same on every node sharing the root key, reveals nothing of it. */
    public static String deploymentId(RootKey rootKey) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(rootKey.key().getEncoded(), "HmacSHA256"));
            byte[] out = mac.doFinal("anima-vault/deployment-id".getBytes(StandardCharsets.UTF_8));
            return "dep_" + HexFormat.of().formatHex(out, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
