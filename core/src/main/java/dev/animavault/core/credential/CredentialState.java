package dev.animavault.core.credential;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A credential's state as listings show it ({@code "state": "reauthorization_required"}), kept in the
 * secret's core-managed attributes so metadata and listings show it without reading a value or the
 * credential cache. Written by a conditional metadata update when the authorization server refuses the
 * stored grant (only while the refused version is still current), and cleared by every new version
 * (an organization key storing new credentials). The read path never reads it: reads learn the same
 * thing from the sealed cache record they read anyway. Stateless.
 */
public final class CredentialState {
    /** The attribute that holds the state; absent means usable. */
    public static final String ATTRIBUTE = "credential.state";
    /** The version the state is about. */
    public static final String VERSION = "credential.stateVersion";
    /** The stored grant was refused ({@code invalid_grant}); an organization key must store a new one. */
    public static final String REAUTHORIZATION_REQUIRED = "reauthorization_required";
    private static final int RETRIES = 5;

    private CredentialState() {
    }

    /** The attributes without a state (for a new version). */
    public static Map<String, String> cleared(Map<String, String> attributes) {
        if (!attributes.containsKey(ATTRIBUTE) && !attributes.containsKey(VERSION)) {
            return attributes;
        }
        Map<String, String> out = new HashMap<>(attributes);
        out.remove(ATTRIBUTE);
        out.remove(VERSION);
        return out;
    }

    /** The state listings show, if any. */
    public static Optional<String> of(SecretMetadata m) {
        return Optional.ofNullable(m.attributes().get(ATTRIBUTE));
    }

    /**
     * Marks {@code version} of a secret as needing reauthorization, while it is still the current version
     * (a newer version stored meanwhile already replaced the refused grant). Conditional on the metadata's
     * revision, retried a few times when another write came first. Best effort: the cache record already
     * makes reads answer 409, so a failure here only leaves listings behind.
     *
     * @return whether the marker is now set for that version
     */
    public static boolean markReauthorizationRequired(StorageBackend storage, SecretRef ref, int version) {
        for (int attempt = 0; attempt < RETRIES; attempt++) {
            try {
                SecretMetadata m = storage.getSecretMetadata(ref).orElse(null);
                if (m == null || m.currentVersion() != version) {
                    return false;
                }
                if (REAUTHORIZATION_REQUIRED.equals(m.attributes().get(ATTRIBUTE))
                        && String.valueOf(version).equals(m.attributes().get(VERSION))) {
                    return true;
                }
                Map<String, String> a = new HashMap<>(m.attributes());
                a.put(ATTRIBUTE, REAUTHORIZATION_REQUIRED);
                a.put(VERSION, String.valueOf(version));
                storage.updateSecretMetadata(new SecretMetadata(ref, m.type(), m.currentVersion(), m.metadata(), a,
                        m.createdAt(), m.updatedAt(), m.revision()), m.revision());
                return true;
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.NOT_FOUND) {
                    return false;
                }
            }
        }
        return false;
    }
}
