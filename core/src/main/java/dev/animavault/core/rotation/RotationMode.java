package dev.animavault.core.rotation;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.util.Locale;

/** How a secret gets its next value. */
public enum RotationMode {
    /** The credential type generates it; the webhook applies it on the owner's side; a 2xx promotes it. */
    GENERATE,
    /** The receiver creates it and returns {@code {"value": ...}} in its 2xx body (or 202 and PUTs it later). */
    WEBHOOK,
    /** The receiver is told the secret is due; a person or job PUTs the new value. */
    NOTIFY;

    /** The wire name, e.g. {@code generate}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a wire name; 400 for anything else. */
    public static RotationMode parse(String s) {
        for (RotationMode m : values()) {
            if (m.wire().equals(s)) {
                return m;
            }
        }
        throw new VaultException(ErrorCode.INVALID_ARGUMENT, "rotation.mode must be one of generate, webhook, notify");
    }
}
